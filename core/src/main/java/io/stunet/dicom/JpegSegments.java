package io.stunet.dicom;

import java.nio.ByteBuffer;

/**
 * The marker-segment layer both JPEG decoders read (ITU T.81 B.1, which JPEG-LS keeps): bytes
 * and big-endian words of one compressed frame, the next marker, and checked segment lengths.
 * Malformed input fails with {@code INVALID_DICOM} naming {@link #format}.
 */
abstract class JpegSegments {
    protected final ByteBuffer in;
    protected int pos;
    protected final int end;
    /** "JPEG" or "JPEG-LS", for messages. */
    private final String format;

    protected JpegSegments(ByteBuffer in, String format) {
        this.in = in;
        this.pos = in.position();
        this.end = in.limit();
        this.format = format;
    }

    /** Whether the frame's image has been set up, so that a missing EOI at the end may be tolerated. */
    protected abstract boolean imageStarted();

    /**
     * The next marker's code (the byte after 0xFF, fill bytes skipped); at the end of the data,
     * EOI (0xD9) once the image has started (the subclass decides whether it is complete).
     */
    protected final int nextMarker() {
        while (true) {
            if (pos >= end) {
                if (imageStarted()) {
                    return 0xD9;
                }
                throw DicomReader.invalid(format + " frame ends before its image data");
            }
            if (u8() == 0xFF) {
                int m = u8();
                while (m == 0xFF) {
                    m = u8();
                }
                if (m != 0) {
                    return m;
                }
            }
        }
    }

    /** A segment's length field (which counts itself), checked against the data left. */
    protected final int segmentLength() {
        int len = u16();
        if (len < 2 || pos + len - 2 > end) {
            throw DicomReader.invalid(format + " segment length " + len + " out of range");
        }
        return len;
    }

    protected final int u8() {
        if (pos >= end) {
            throw DicomReader.invalid(format + " frame truncated");
        }
        return in.get(pos++) & 0xff;
    }

    protected final int u16() {
        return (u8() << 8) | u8();
    }
}
