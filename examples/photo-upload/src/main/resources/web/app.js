// The page: uploads each chosen file with fetch, then follows its status over Server-Sent Events
// (GET /photos/{id}/events) until it is done, rejected or failed. No reloads, no framework.
'use strict';

const form = document.getElementById('upload-form');
const input = document.getElementById('file');
const drop = document.getElementById('drop');
const list = document.getElementById('uploads');
const note = document.getElementById('video-note');
const template = document.getElementById('upload-card');
const FINAL = new Set(['done', 'rejected', 'failed']);

fetch('/features').then(r => r.json()).then(features => {
  if (!features.videos) {
    note.textContent = 'Video uploads are off: ' + features.videosUnavailable + '.';
    note.hidden = false;
    input.accept = 'image/*';
  }
});

form.addEventListener('submit', event => {
  event.preventDefault();
  for (const file of input.files) {
    upload(file);
  }
  form.reset();
});

drop.addEventListener('dragover', event => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', event => {
  event.preventDefault();
  drop.classList.remove('over');
  for (const file of event.dataTransfer.files) {
    upload(file);
  }
});

async function upload(file) {
  const card = template.content.firstElementChild.cloneNode(true);
  card.querySelector('.name').textContent = file.name;
  list.prepend(card);
  const body = new FormData();
  body.append('file', file);
  const t0 = performance.now();
  let response;
  let answer;
  try {
    response = await fetch('/photos', { method: 'POST', body });
    answer = await response.json();
  } catch (e) {
    showStatus(card, 'error');
    log(card, 'upload failed: ' + e.message);
    return;
  }
  if (response.status !== 202) {
    showStatus(card, 'error');
    log(card, answer.error || ('upload answered ' + response.status));
    return;
  }
  card.dataset.id = answer.id;
  showStatus(card, answer.status);
  log(card, 'uploaded and queued in ' + Math.round(performance.now() - t0) + ' ms');
  follow(card, answer.events);
}

function follow(card, url) {
  const events = new EventSource(url);
  events.addEventListener('status', event => {
    const view = JSON.parse(event.data);
    render(card, view);
    if (FINAL.has(view.status)) {
      events.close();
    }
  });
  events.addEventListener('activity', event => log(card, JSON.parse(event.data).text));
  // EventSource reconnects by itself after a network error and is sent the current status again.
}

function render(card, view) {
  showStatus(card, view.kind === 'video' && view.status === 'done' ? 'live' : view.status);
  const meta = [];
  if (view.width) meta.push(view.width + '\u00d7' + view.height);
  if (view.format) meta.push(view.format);
  if (view.durationMs) meta.push((view.durationMs / 1000).toFixed(1) + ' s');
  meta.push(Math.round(view.bytes / 1024) + ' KiB');
  if (view.reason) meta.push(view.reason);
  card.querySelector('.meta').textContent = meta.join(' \u00b7 ');
  const media = card.querySelector('.media');
  if (view.status === 'done' && !media.hasChildNodes()) {
    for (const url of view.thumbnails || []) {
      const img = document.createElement('img');
      img.className = 'thumbnail';
      img.src = url;
      img.alt = view.filename + ' thumbnail';
      media.append(img);
    }
    if (view.renditions) {
      const video = document.createElement('video');
      video.className = 'rendition';
      video.controls = true;
      video.muted = true;
      video.poster = view.poster || '';
      video.src = view.renditions[view.renditions.length - 1];
      media.append(video);
      const links = document.createElement('div');
      links.className = 'renditions';
      for (const url of view.renditions) {
        const a = document.createElement('a');
        a.href = url;
        a.textContent = url.substring(url.lastIndexOf('/') + 1);
        links.append(a);
      }
      media.append(links);
    }
  }
}

function showStatus(card, status) {
  const badge = card.querySelector('.status');
  badge.textContent = status;
  badge.dataset.status = status;
  card.dataset.status = status;
}

function log(card, text) {
  const item = document.createElement('li');
  item.textContent = new Date().toLocaleTimeString() + '  ' + text;
  card.querySelector('.activity').append(item);
}
