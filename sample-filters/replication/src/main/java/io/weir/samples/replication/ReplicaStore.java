package io.weir.samples.replication;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The replicas in a receiver's directory, for operators: list them, recover a disk's image as of a point in time,
 * and promote a replica to a standalone disk image (failover). Safe to use while a receiver serves the same
 * directory, in this process or another: each operation holds the replica's lock, which pauses that disk's stream
 * while an image is copied.
 *
 * <pre>{@code
 * ReplicaStore store = ReplicaStore.open(Path.of("/srv/weir-replicas"));
 * for (ReplicaInfo r : store.list()) { ... }
 * Checkpoint c = store.recover("vm-42", Instant.parse("2026-12-05T10:15:00Z"), Path.of("vm-42-at-1015.raw"));
 * Promotion p = store.failover("vm-42", Path.of("vm-42.raw"));
 * }</pre>
 */
public final class ReplicaStore {
    private final Path directory;
    private final Clock clock;

    private ReplicaStore(Path directory, Clock clock) {
        this.directory = directory;
        this.clock = clock;
    }

    /** The replicas under {@code directory} (a receiver's {@code directory} setting). */
    public static ReplicaStore open(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new IOException("replica directory " + directory + " does not exist");
        }
        return new ReplicaStore(directory, Clock.systemUTC());
    }

    /** The directory this store reads. */
    public Path directory() {
        return directory;
    }

    /** Every replica in the directory, by disk id (superseded replicas of earlier streams included). */
    public List<ReplicaInfo> list() throws IOException {
        List<ReplicaInfo> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(directory, Files::isDirectory)) {
            for (Path d : dirs) {
                String id = d.getFileName().toString();
                if (ReplicaImage.exists(directory, id)) {
                    out.add(withImage(id, ReplicaImage::info));
                }
            }
        }
        out.sort(Comparator.comparing(ReplicaInfo::diskId));
        return out;
    }

    /** The retained checkpoints of one replica, oldest first. */
    public List<Checkpoint> checkpoints(String diskId) throws IOException {
        return withImage(diskId, ReplicaImage::checkpoints);
    }

    /**
     * Write to {@code outputImage} the disk's image as it was at the latest checkpoint at or before {@code at}
     * (primary's clock): a raw image of the disk's capacity at that time. The file is written beside the output
     * and renamed into place when complete.
     *
     * @return the checkpoint the image reflects
     * @throws IOException no such replica, no retained checkpoint at or before {@code at}, or an I/O failure
     */
    public Checkpoint recover(String diskId, Instant at, Path outputImage) throws IOException {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(outputImage, "outputImage");
        return withImage(diskId, image -> image.recover(at, outputImage));
    }

    /**
     * Promote a replica after losing its primary: write a standalone raw disk image of the latest consistent state
     * to {@code outputImage} and mark the replica failed over, so it refuses any further stream (a primary that
     * comes back cannot overwrite what was promoted). The latest consistent state is the image as it stands when
     * it is consistent (it may hold writes after the last checkpoint, which is a crash-consistent state of the
     * primary), otherwise the latest checkpoint (a resync was interrupted).
     */
    public Promotion failover(String diskId, Path outputImage) throws IOException {
        Objects.requireNonNull(outputImage, "outputImage");
        return withImage(diskId, image -> {
            Promotion p;
            if (image.consistent()) {
                image.sync();
                Files.copy(image.directory().resolve(ReplicaImage.IMAGE), outputImage,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                p = new Promotion(diskId, outputImage, image.capacity(), Optional.empty());
            } else {
                Checkpoint c = image.recover(Instant.MAX, outputImage);
                p = new Promotion(diskId, outputImage, Files.size(outputImage), Optional.of(c));
            }
            image.markFailedOver();
            return p;
        });
    }

    /**
     * The result of {@link #failover}.
     *
     * @param diskId       the disk
     * @param image        the standalone raw image written
     * @param capacity     its size in bytes
     * @param rolledBackTo the checkpoint the image was rolled back to, when the replica was inconsistent; empty
     *                     when the replica's current state was promoted as it stood
     */
    public record Promotion(String diskId, Path image, long capacity, Optional<Checkpoint> rolledBackTo) {
    }

    private <T> T withImage(String diskId, Function<T> work) throws IOException {
        Path dir = ReplicaImage.directoryOf(directory, diskId);
        if (!ReplicaImage.exists(directory, diskId)) {
            throw new IOException("no replica of disk '" + diskId + "' in " + directory);
        }
        return ReplicaImage.locked(dir, () -> {
            try (ReplicaImage image = ReplicaImage.open(directory, diskId, clock, ReplicaImage.Retention.DEFAULT, false)) {
                return work.apply(image);
            }
        });
    }

    private interface Function<T> {
        T apply(ReplicaImage image) throws IOException;
    }
}
