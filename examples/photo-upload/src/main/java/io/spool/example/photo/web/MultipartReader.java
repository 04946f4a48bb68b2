package io.spool.example.photo.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a {@code multipart/form-data} body (RFC 7578) part by part, straight from the request
 * stream: a part's content is copied to where the caller wants it as it arrives, so an upload
 * of any size goes to disk through a fixed 64 KiB buffer and never sits in memory whole.
 *
 * <p>Not thread-safe: one reader per request, on the request's thread.
 */
public final class MultipartReader {

    private static final int BUFFER = 64 * 1024;
    private static final int MAX_HEADER_BYTES = 8 * 1024;

    private final InputStream in;
    /** CRLF "--" boundary: what ends every part. The body's first delimiter lacks the CRLF. */
    private final byte[] delimiter;
    private final byte[] buf;
    private int start;
    private int end;
    private boolean eof;
    /** The current part's content has been read up to its delimiter (false in the preamble). */
    private boolean delimiterReached;
    private boolean finished;

    /** A part's headers; its content is read with {@link #copyContent} before the next part. */
    public record Part(String name, String filename, String contentType) {
    }

    public MultipartReader(InputStream in, String boundary) {
        if (boundary.isEmpty() || boundary.length() > 70) {
            throw new MultipartException("multipart boundary must be 1 to 70 characters");
        }
        this.in = in;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.buf = new byte[Math.max(BUFFER, delimiter.length * 2)];
        // Treat the body as if it began with CRLF, so its first delimiter looks like the others.
        buf[0] = '\r';
        buf[1] = '\n';
        end = 2;
    }

    /** The boundary named in a Content-Type header such as {@code multipart/form-data; boundary=xyz}. */
    public static String boundaryOf(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new MultipartException("expected Content-Type multipart/form-data, got "
                    + (contentType == null ? "none" : contentType));
        }
        String boundary = parameters(contentType).get("boundary");
        if (boundary == null) {
            throw new MultipartException("multipart/form-data without a boundary parameter");
        }
        return boundary;
    }

    /**
     * Skips whatever is left of the current part (and the preamble, the first time) and returns
     * the next part's headers, or null after the last part.
     */
    public Part next() throws IOException {
        if (finished) {
            return null;
        }
        copyContent(OutputStream.nullOutputStream(), Long.MAX_VALUE);
        // After a delimiter: "--" ends the body, CRLF starts a part's headers.
        ensure(2);
        if (end - start < 2) {
            throw new MultipartException("multipart body ends without its closing boundary");
        }
        if (buf[start] == '-' && buf[start + 1] == '-') {
            finished = true;
            return null;
        }
        String line = readLine();
        if (!line.isBlank()) {
            throw new MultipartException("unexpected text after a multipart boundary");
        }
        return readHeaders();
    }

    /**
     * Copies the current part's content to {@code out}, up to the next delimiter. Returns the
     * number of bytes copied, or throws {@link TooLargeException} once it passes {@code maxBytes}.
     */
    public long copyContent(OutputStream out, long maxBytes) throws IOException {
        if (delimiterReached) {
            return 0;
        }
        long copied = 0;
        while (true) {
            ensure(delimiter.length);
            int found = indexOf(delimiter, start, end);
            // Without a match, all but the last (delimiter.length - 1) bytes are certainly content.
            int contentEnd = found >= 0 ? found : Math.max(start, end - delimiter.length + 1);
            if (eof && found < 0) {
                throw new MultipartException("multipart body ends inside a part");
            }
            int n = contentEnd - start;
            copied += n;
            if (copied > maxBytes) {
                throw new TooLargeException(maxBytes);
            }
            out.write(buf, start, n);
            start = contentEnd;
            if (found >= 0) {
                start += delimiter.length;
                delimiterReached = true;
                return copied;
            }
        }
    }

    private Part readHeaders() throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        int total = 0;
        while (true) {
            String line = readLine();
            total += line.length() + 2;
            if (total > MAX_HEADER_BYTES) {
                throw new MultipartException("multipart part headers longer than " + MAX_HEADER_BYTES + " bytes");
            }
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new MultipartException("malformed multipart header line: " + line);
            }
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        String disposition = headers.get("content-disposition");
        if (disposition == null || !disposition.toLowerCase(Locale.ROOT).startsWith("form-data")) {
            throw new MultipartException("multipart part without Content-Disposition: form-data");
        }
        Map<String, String> params = parameters(disposition);
        String name = params.get("name");
        if (name == null) {
            throw new MultipartException("multipart part without a name");
        }
        delimiterReached = false;
        return new Part(name, params.get("filename"), headers.getOrDefault("content-type", "text/plain"));
    }

    /** A header line up to CRLF. Browsers send file names as raw UTF-8 there, so it is read as UTF-8. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            ensure(2);
            if (end - start < 2) {
                throw new MultipartException("multipart body ends inside part headers");
            }
            if (buf[start] == '\r' && buf[start + 1] == '\n') {
                start += 2;
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(buf[start++]);
            if (line.size() > MAX_HEADER_BYTES) {
                throw new MultipartException("multipart part headers longer than " + MAX_HEADER_BYTES + " bytes");
            }
        }
    }

    /** Makes at least {@code n} unread bytes available, unless the stream ends first. */
    private void ensure(int n) throws IOException {
        if (end - start >= n || eof) {
            return;
        }
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        while (end - start < n) {
            int read = in.read(buf, end, buf.length - end);
            if (read < 0) {
                eof = true;
                return;
            }
            end += read;
        }
    }

    private int indexOf(byte[] pattern, int from, int to) {
        outer:
        for (int i = from; i <= to - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (buf[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The {@code ; key=value} parameters of a header value; quoted values lose their quotes. */
    static Map<String, String> parameters(String headerValue) {
        Map<String, String> params = new LinkedHashMap<>();
        int i = headerValue.indexOf(';');
        while (i >= 0 && i < headerValue.length()) {
            int eq = headerValue.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String key = headerValue.substring(i + 1, eq).trim().toLowerCase(Locale.ROOT);
            String value;
            int next;
            if (eq + 1 < headerValue.length() && headerValue.charAt(eq + 1) == '"') {
                StringBuilder sb = new StringBuilder();
                int j = eq + 2;
                while (j < headerValue.length() && headerValue.charAt(j) != '"') {
                    char c = headerValue.charAt(j);
                    if (c == '\\' && j + 1 < headerValue.length()) {
                        c = headerValue.charAt(++j);
                    }
                    sb.append(c);
                    j++;
                }
                value = sb.toString();
                next = headerValue.indexOf(';', j);
            } else {
                next = headerValue.indexOf(';', eq);
                value = headerValue.substring(eq + 1, next < 0 ? headerValue.length() : next).trim();
            }
            params.putIfAbsent(key, value);
            i = next;
        }
        return params;
    }

    /** The body is not well-formed multipart/form-data; the client gets 400 with this text. */
    public static class MultipartException extends RuntimeException {
        public MultipartException(String message) {
            super(message);
        }
    }

    /** A part is larger than allowed; the client gets 413. */
    public static final class TooLargeException extends MultipartException {
        public TooLargeException(long maxBytes) {
            super("upload larger than the limit of " + maxBytes + " bytes");
        }
    }
}
