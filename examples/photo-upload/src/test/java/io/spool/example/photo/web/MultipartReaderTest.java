package io.spool.example.photo.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultipartReaderTest {

    private static final String BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

    @Test
    void readsFieldsAndAFileAsABrowserSendsThem() throws IOException {
        byte[] file = "PNG\r\n--not quite the boundary\r\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] body = body(new Field("title", null, null, "Holiday".getBytes(StandardCharsets.UTF_8)),
                new Field("file", "été.png", "image/png", file));

        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(body), BOUNDARY);
        MultipartReader.Part title = reader.next();
        assertThat(title).isEqualTo(new MultipartReader.Part("title", null, "text/plain"));
        assertThat(text(reader)).isEqualTo("Holiday");
        MultipartReader.Part part = reader.next();
        assertThat(part).isEqualTo(new MultipartReader.Part("file", "été.png", "image/png"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(reader.copyContent(out, 1000)).isEqualTo(file.length);
        assertThat(out.toByteArray()).isEqualTo(file);
        assertThat(reader.next()).isNull();
    }

    @Test
    void binaryContentComesThroughWhateverTheReadSizes() throws IOException {
        // Larger than the reader's buffer, with every byte value, read one byte per read() and
        // in odd chunks: delimiters and near-delimiters straddle every buffer edge.
        byte[] file = new byte[200_000];
        new Random(7).nextBytes(file);
        byte[] nearDelimiter = ("\r\n--" + BOUNDARY.substring(0, BOUNDARY.length() - 1)).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(nearDelimiter, 0, file, 65_530, nearDelimiter.length);
        byte[] body = body(new Field("file", "noise.bin", "application/octet-stream", file),
                new Field("after", null, null, "x".getBytes(StandardCharsets.UTF_8)));
        for (int chunk : new int[] {1, 7, 4096, 65_536}) {
            MultipartReader reader = new MultipartReader(new ChunkedStream(body, chunk), BOUNDARY);
            assertThat(reader.next().name()).isEqualTo("file");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            reader.copyContent(out, Long.MAX_VALUE);
            assertThat(out.toByteArray()).as("read %d bytes at a time", chunk).isEqualTo(file);
            assertThat(reader.next().name()).isEqualTo("after");
            assertThat(text(reader)).isEqualTo("x");
            assertThat(reader.next()).isNull();
        }
    }

    @Test
    void skipsThePreambleAndUnreadParts() throws IOException {
        byte[] fields = body(new Field("a", null, null, "first".getBytes(StandardCharsets.UTF_8)),
                new Field("b", null, null, "second".getBytes(StandardCharsets.UTF_8)));
        byte[] body = concat("ignored preamble\r\n".getBytes(StandardCharsets.US_ASCII), fields);
        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(body), BOUNDARY);
        assertThat(reader.next().name()).isEqualTo("a");
        assertThat(reader.next().name()).isEqualTo("b");
        assertThat(text(reader)).isEqualTo("second");
        assertThat(reader.next()).isNull();
    }

    @Test
    void aPartOverTheLimitIsRefusedWithTheLimitNamed() throws IOException {
        byte[] body = body(new Field("file", "big.png", "image/png", new byte[5000]));
        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(body), BOUNDARY);
        reader.next();
        assertThatThrownBy(() -> reader.copyContent(OutputStream.nullOutputStream(), 4096))
                .isInstanceOf(MultipartReader.TooLargeException.class)
                .hasMessage("upload larger than the limit of 4096 bytes");
    }

    @Test
    void aTruncatedBodyIsMalformed() throws IOException {
        byte[] body = body(new Field("file", "x.png", "image/png", new byte[100]));
        byte[] cut = java.util.Arrays.copyOf(body, body.length - BOUNDARY.length() - 10);
        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(cut), BOUNDARY);
        reader.next();
        assertThatThrownBy(() -> reader.copyContent(OutputStream.nullOutputStream(), Long.MAX_VALUE))
                .isInstanceOf(MultipartReader.MultipartException.class)
                .hasMessage("multipart body ends inside a part");
    }

    @Test
    void boundaryComesFromTheContentType() {
        assertThat(MultipartReader.boundaryOf("multipart/form-data; boundary=abc")).isEqualTo("abc");
        assertThat(MultipartReader.boundaryOf("Multipart/Form-Data; charset=utf-8; boundary=\"a b;c\""))
                .isEqualTo("a b;c");
        assertThatThrownBy(() -> MultipartReader.boundaryOf("application/json"))
                .hasMessage("expected Content-Type multipart/form-data, got application/json");
        assertThatThrownBy(() -> MultipartReader.boundaryOf("multipart/form-data"))
                .hasMessage("multipart/form-data without a boundary parameter");
    }

    private static String text(MultipartReader reader) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        reader.copyContent(out, 100);
        return out.toString(StandardCharsets.UTF_8);
    }

    private record Field(String name, String filename, String contentType, byte[] content) {
    }

    private static byte[] body(Field... fields) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Field f : fields) {
            StringBuilder head = new StringBuilder("--" + BOUNDARY + "\r\n");
            head.append("Content-Disposition: form-data; name=\"").append(f.name).append('"');
            if (f.filename != null) {
                head.append("; filename=\"").append(f.filename).append('"');
            }
            head.append("\r\n");
            if (f.contentType != null) {
                head.append("Content-Type: ").append(f.contentType).append("\r\n");
            }
            head.append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.UTF_8));
            out.write(f.content);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Hands out at most {@code chunk} bytes per read, as a slow network would. */
    private static final class ChunkedStream extends FilterInputStream {
        private final int chunk;

        ChunkedStream(byte[] bytes, int chunk) {
            super(new ByteArrayInputStream(bytes));
            this.chunk = chunk;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, chunk));
        }
    }
}
