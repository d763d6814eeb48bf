package io.stunet.ingest.dicom;

import io.stunet.config.StunetConfig;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.time.Duration;

/**
 * How the DIMSE storage SCP listens: interface and port, its AE title (associations calling
 * another title are rejected), how many associations it serves at once, how long a peer may
 * stay silent (association request, each PDU, release) before the association is aborted,
 * and whether an association's release ends the series it sent.
 */
public record ScpSettings(String bind, int port, String aeTitle, int maxAssociations, Duration idleTimeout,
                          boolean releaseEndsSeries) {

    public ScpSettings {
        if (aeTitle.isEmpty() || aeTitle.length() > 16 || !aeTitle.matches("[\\x20-\\x5B\\x5D-\\x7E]+")
                || aeTitle.isBlank()) {
            throw new StunetException(ErrorCode.INVALID_CONFIG,
                    "configuration key dicom.scp.ae.title: 1 to 16 printable ASCII characters without a backslash");
        }
        if (port < 0 || port > 65535) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, "configuration key dicom.scp.port: must be <= 65535");
        }
    }

    /** From the {@code dicom.scp.*} keys. */
    public static ScpSettings from(StunetConfig config) {
        return new ScpSettings(config.getString(StunetConfig.DICOM_SCP_BIND), config.getInt(StunetConfig.DICOM_SCP_PORT),
                config.getString(StunetConfig.DICOM_SCP_AE_TITLE), config.getInt(StunetConfig.DICOM_SCP_MAX_ASSOCIATIONS),
                config.getMillis(StunetConfig.DICOM_SCP_IDLE_TIMEOUT_MS),
                config.getBoolean(StunetConfig.DICOM_SCP_RELEASE_ENDS_SERIES));
    }
}
