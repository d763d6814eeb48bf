package io.stunet.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidDicomException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The pixel data of one DICOM object and the Image Pixel attributes needed to decode it.
 * {@link #frame(int)} returns a frame as little-endian samples of {@link #bytesPerSample()}
 * bytes, rows then columns, samples of a pixel adjacent (colour-by-pixel, what pydicom's
 * {@code pixel_array} holds): a view without copying for native data, a decoded array for
 * RLE lossless, JPEG lossless and JPEG-LS (lossless and near-lossless). Samples are raw stored values; masking to BitsStored and
 * sign extension are the caller's (see {@link #signedSample}).
 */
public final class PixelData {
    private final DicomElement element;
    private final TransferSyntax syntax;
    private final int rows;
    private final int columns;
    private final int samplesPerPixel;
    private final int bitsAllocated;
    private final int bitsStored;
    private final int pixelRepresentation;
    private final int frames;
    private final int planarConfiguration;

    private PixelData(DicomDataset ds, TransferSyntax syntax) {
        this.syntax = syntax;
        this.element = ds.get(Tag.PixelData);
        try {
            rows = ds.getInt(Tag.Rows, 0);
            columns = ds.getInt(Tag.Columns, 0);
            samplesPerPixel = ds.getInt(Tag.SamplesPerPixel, 1);
            bitsAllocated = ds.getInt(Tag.BitsAllocated, 0);
            bitsStored = ds.getInt(Tag.BitsStored, bitsAllocated);
            pixelRepresentation = ds.getInt(Tag.PixelRepresentation, 0);
            frames = ds.getInt(Tag.NumberOfFrames, 1);
            planarConfiguration = ds.getInt(Tag.PlanarConfiguration, 0);
        } catch (NumberFormatException e) {
            throw DicomReader.invalid("image pixel attributes are not numbers");
        }
    }

    /** The pixel data of a parsed object; INVALID_DICOM when it has none or its attributes are inconsistent. */
    public static PixelData of(DicomFile file) {
        PixelData p = new PixelData(file.dataset(), file.transferSyntax());
        p.validate();
        return p;
    }

    private void validate() {
        if (element == null) {
            throw DicomReader.invalid("no PixelData element");
        }
        if (rows < 1 || columns < 1 || frames < 1 || samplesPerPixel < 1 || samplesPerPixel > 4) {
            throw DicomReader.invalid("image pixel attributes out of range: rows " + rows + ", columns " + columns
                    + ", frames " + frames + ", samples " + samplesPerPixel);
        }
        if (bitsAllocated != 8 && bitsAllocated != 16 && bitsAllocated != 32) {
            throw new InvalidDicomException(ErrorCode.UNSUPPORTED_DATATYPE, "BitsAllocated " + bitsAllocated
                    + " is not decoded (8, 16 or 32 are)");
        }
        if (bitsStored < 1 || bitsStored > bitsAllocated) {
            throw DicomReader.invalid("BitsStored " + bitsStored + " with BitsAllocated " + bitsAllocated);
        }
        if (!syntax.pixelsDecodable()) {
            throw new InvalidDicomException(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX,
                    "pixel data of this encapsulated transfer syntax is not decoded (JPEG baseline/extended,"
                            + " JPEG 2000 and video are not supported)");
        }
        if (syntax.encapsulated() != element.isEncapsulated()) {
            throw DicomReader.invalid(syntax.encapsulated() ? "transfer syntax is encapsulated, pixel data is not"
                    : "pixel data is encapsulated in a native transfer syntax");
        }
        if (!syntax.encapsulated() && (long) element.length() < (long) frameBytes() * frames) {
            throw DicomReader.invalid("pixel data holds " + element.length() + " bytes, " + (long) frameBytes() * frames
                    + " expected (truncated)");
        }
    }

    public int rows() {
        return rows;
    }

    public int columns() {
        return columns;
    }

    public int samplesPerPixel() {
        return samplesPerPixel;
    }

    public int bitsAllocated() {
        return bitsAllocated;
    }

    public int bitsStored() {
        return bitsStored;
    }

    /** 0 unsigned, 1 two's complement. */
    public int pixelRepresentation() {
        return pixelRepresentation;
    }

    public int frames() {
        return frames;
    }

    public int bytesPerSample() {
        return bitsAllocated / 8;
    }

    /** Bytes of one decoded frame. */
    public int frameBytes() {
        return rows * columns * samplesPerPixel * bytesPerSample();
    }

    /** Frame {@code index} as little-endian colour-by-pixel samples (see the class comment). */
    public ByteBuffer frame(int index) {
        if (index < 0 || index >= frames) {
            throw new IndexOutOfBoundsException("frame " + index + " of " + frames);
        }
        int n = frameBytes();
        if (!syntax.encapsulated()) {
            ByteBuffer all = element.value();
            ByteBuffer f = all.position(index * n).limit(index * n + n).slice().order(ByteOrder.LITTLE_ENDIAN);
            if (samplesPerPixel > 1 && planarConfiguration == 1) {
                return ByteBuffer.wrap(interleave(f)).order(ByteOrder.LITTLE_ENDIAN);
            }
            return f;
        }
        ByteBuffer compressed = compressedFrame(index);
        byte[] out = new byte[n];
        try {
            if (syntax == TransferSyntax.RLE_LOSSLESS) {
                RleDecoder.decode(compressed, rows * columns, samplesPerPixel, bytesPerSample(), out);
            } else if (syntax == TransferSyntax.JPEG_LS_LOSSLESS || syntax == TransferSyntax.JPEG_LS_NEAR_LOSSLESS) {
                JpegLsDecoder.decode(compressed, rows, columns, samplesPerPixel, bytesPerSample(), out);
            } else {
                JpegLosslessDecoder.decode(compressed, rows, columns, samplesPerPixel, bytesPerSample(), out);
            }
        } catch (IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
            throw new InvalidDicomException(ErrorCode.INVALID_DICOM, "compressed frame " + index + " is truncated", e);
        }
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Sample value {@code raw} masked to BitsStored and sign-extended when PixelRepresentation is 1. */
    public int signedSample(int raw) {
        int shift = 32 - bitsStored;
        return pixelRepresentation == 1 ? (raw << shift) >> shift : bitsStored == 32 ? raw : raw & ((1 << bitsStored) - 1);
    }

    private byte[] interleave(ByteBuffer planar) {
        int bps = bytesPerSample();
        int pixels = rows * columns;
        byte[] out = new byte[planar.remaining()];
        for (int s = 0; s < samplesPerPixel; s++) {
            for (int p = 0; p < pixels; p++) {
                for (int k = 0; k < bps; k++) {
                    out[(p * samplesPerPixel + s) * bps + k] = planar.get((s * pixels + p) * bps + k);
                }
            }
        }
        return out;
    }

    /** The bytes of one compressed frame: its fragments concatenated (PS3.5 A.4). */
    private ByteBuffer compressedFrame(int index) {
        int fragmentCount = element.fragmentCount() - 1;
        if (fragmentCount < 1) {
            throw DicomReader.invalid("encapsulated pixel data has no fragments");
        }
        int first;
        int last;
        if (frames == 1) {
            first = 1;
            last = fragmentCount;
        } else if (element.fragment(0).remaining() >= 4 * frames) {
            // Basic offset table: frame starts, as offsets from the first fragment's item tag.
            ByteBuffer bot = element.fragment(0);
            long start = bot.getInt(4 * index) & 0xffffffffL;
            long end = index + 1 < frames ? bot.getInt(4 * (index + 1)) & 0xffffffffL : Long.MAX_VALUE;
            first = -1;
            last = -1;
            long at = 0;
            for (int f = 1; f <= fragmentCount; f++) {
                if (at >= start && at < end) {
                    if (first < 0) {
                        first = f;
                    }
                    last = f;
                }
                at += 8 + element.fragment(f).remaining();
            }
            if (first < 0) {
                throw DicomReader.invalid("basic offset table points past the fragments for frame " + index);
            }
        } else if (fragmentCount == frames) {
            first = index + 1;
            last = index + 1;
        } else {
            throw DicomReader.invalid(frames + " frames in " + fragmentCount + " fragments without a basic offset table");
        }
        if (first == last) {
            return element.fragment(first);
        }
        int total = 0;
        for (int f = first; f <= last; f++) {
            total += element.fragment(f).remaining();
        }
        ByteBuffer joined = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        for (int f = first; f <= last; f++) {
            joined.put(element.fragment(f));
        }
        return joined.flip();
    }
}
