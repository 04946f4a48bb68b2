package io.spool.broker.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.spool.broker.util.LongDeque;

/**
 * One file of a schedule slice: a {@link Segment} of {@link ScheduledRecord}s with its ack file
 * (offsets of records delivered or copied to a finer slice). A slice rolls to a new part when
 * one reaches {@link ScheduleStore#PART_LIMIT}, so offsets stay within 32 bits.
 *
 * <p>Thread: guarded by the owning {@link ScheduleStore}'s lock.
 */
final class SlicePart {

    final ScheduleSlice slice;
    final Segment segment;
    /** Names this part in the locators of the due heap and of pending settles. */
    final int handle;
    /** Part number within its slice, from 0. */
    final int number;
    /** Records appended but not yet written to the file. */
    ByteBuf writeBuffer;
    boolean listedUnflushed;
    boolean listedUnsynced;
    /** Offsets settled before a restart (sorted), skipped when the part is read; null if none. */
    private long[] settledBefore;
    private int settledCursor;
    /** Offsets settled since the ack file was last written. */
    LongDeque acksToWrite;

    SlicePart(ScheduleSlice slice, Segment segment, int handle, int number, long[] settledBefore) {
        this.slice = slice;
        this.segment = segment;
        this.handle = handle;
        this.number = number;
        this.settledBefore = settledBefore != null && settledBefore.length > 0 ? settledBefore : null;
    }

    /** Where the next record goes: the bytes in the file plus those still buffered. */
    long end() {
        return segment.fileSize() + (writeBuffer == null ? 0 : writeBuffer.readableBytes());
    }

    ByteBuf buffer(int size) {
        if (writeBuffer == null) {
            writeBuffer = PooledByteBufAllocator.DEFAULT.directBuffer(Math.max(4096, size));
        }
        return writeBuffer;
    }

    /**
     * Whether the record at an offset was settled before the restart. Offsets must be asked
     * in increasing order, as a read of the part visits them.
     */
    boolean settledBeforeRestart(long offset) {
        if (settledBefore == null) {
            return false;
        }
        while (settledCursor < settledBefore.length && settledBefore[settledCursor] < offset) {
            settledCursor++;
        }
        boolean settled = settledCursor < settledBefore.length && settledBefore[settledCursor] == offset;
        if (settledCursor >= settledBefore.length) {
            settledBefore = null;
        }
        return settled;
    }

    void releaseBuffer() {
        if (writeBuffer != null) {
            writeBuffer.release();
            writeBuffer = null;
        }
    }

    /** A schedule file's locator: the part's handle in the high 32 bits, the offset in the low. */
    static long locator(int handle, long offset) {
        return (long) handle << 32 | offset;
    }

    static int handle(long locator) {
        return (int) (locator >>> 32);
    }

    static long offset(long locator) {
        return locator & 0xFFFF_FFFFL;
    }
}
