package io.spool.bench.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The heap a process really retains: asks it for a full collection ({@code jcmd GC.run}), then
 * reads the heap used afterwards ({@code jcmd GC.heap_info}). Done at full queue depth this
 * shows whether memory follows depth; it costs the broker one full GC, so it is taken between
 * phases, never while a rate is being measured.
 */
final class LiveHeap {

    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private LiveHeap() {}

    /** KiB of heap in use right after a full GC. */
    static long afterFullGcKib(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        return parseUsedKib(jcmd(pid, "GC.heap_info"));
    }

    static long parseUsedKib(String heapInfo) {
        Matcher m = USED.matcher(heapInfo);
        if (!m.find()) {
            throw new IllegalArgumentException("no 'used NK' in GC.heap_info output: " + heapInfo);
        }
        return Long.parseLong(m.group(1));
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("jcmd " + command + " failed: " + out);
        }
        return out;
    }
}
