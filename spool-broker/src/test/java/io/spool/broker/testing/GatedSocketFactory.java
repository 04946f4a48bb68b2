package io.spool.broker.testing;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.SocketFactory;

/**
 * Client sockets whose outgoing bytes a test can hold back and then let go in one write, so
 * the broker reads a batch of frames at once; whose reading a test can pause, the way a slow
 * client falls behind; and which a test can close abruptly, the way a crashed client
 * disappears. Give it to {@code ConnectionFactory.setSocketFactory}.
 */
public final class GatedSocketFactory extends SocketFactory {

    private final List<GatedSocket> sockets = new CopyOnWriteArrayList<>();

    @Override
    public Socket createSocket() {
        GatedSocket s = new GatedSocket();
        sockets.add(s);
        return s;
    }

    @Override
    public Socket createSocket(String host, int port) {
        throw new UnsupportedOperationException("the client creates unconnected sockets");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw new UnsupportedOperationException("the client creates unconnected sockets");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) {
        throw new UnsupportedOperationException("the client creates unconnected sockets");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw new UnsupportedOperationException("the client creates unconnected sockets");
    }

    /** The socket of the most recent connection made with this factory. */
    public GatedSocket last() {
        return sockets.get(sockets.size() - 1);
    }

    /** A socket whose writes can be held and released. */
    public static final class GatedSocket extends Socket {

        private final ByteArrayOutputStream held = new ByteArrayOutputStream();
        private final Object readGate = new Object();
        private boolean holding;
        private boolean readingPaused;
        private OutputStream gate;
        private InputStream readSide;

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (readSide == null) {
                InputStream raw = super.getInputStream();
                readSide = new FilterInputStream(raw) {
                    @Override
                    public int read() throws IOException {
                        awaitReading();
                        return super.read();
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        awaitReading();
                        return super.read(b, off, len);
                    }
                };
            }
            return readSide;
        }

        private void awaitReading() throws IOException {
            synchronized (readGate) {
                while (readingPaused) {
                    try {
                        readGate.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading was paused");
                    }
                }
            }
        }

        /** The client stops reading: what the broker sends piles up in the socket buffers. */
        public void pauseReading() {
            synchronized (readGate) {
                readingPaused = true;
            }
        }

        public void resumeReading() {
            synchronized (readGate) {
                readingPaused = false;
                readGate.notifyAll();
            }
        }

        @Override
        public synchronized OutputStream getOutputStream() throws IOException {
            if (gate == null) {
                OutputStream raw = super.getOutputStream();
                gate = new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        synchronized (GatedSocket.this) {
                            if (holding) {
                                held.write(b, off, len);
                            } else {
                                raw.write(b, off, len);
                            }
                        }
                    }

                    @Override
                    public void flush() throws IOException {
                        synchronized (GatedSocket.this) {
                            if (!holding) {
                                raw.flush();
                            }
                        }
                    }
                };
            }
            return gate;
        }

        /** From now on, bytes the client writes stay here. */
        public synchronized void hold() {
            holding = true;
        }

        /** Sends everything held in a single write and stops holding. */
        public synchronized void release() throws IOException {
            holding = false;
            OutputStream raw = super.getOutputStream();
            raw.write(held.toByteArray());
            raw.flush();
            held.reset();
        }
    }
}
