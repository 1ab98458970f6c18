package io.weir.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The strict ZIP reading on hand-made archives. */
class ZipImageTest {
    private static final String NAME = "io/weir/Data.class";

    private static RawZip sample() {
        return new RawZip()
                .add(RawZip.Item.of("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n".getBytes(StandardCharsets.UTF_8)))
                .add(new RawZip.Item(NAME, NAME, "some class bytes".getBytes(StandardCharsets.UTF_8), false, true,
                        new byte[0]));
    }

    private static String problems(byte[] zip) {
        return ZipImage.parse(zip).problems().stream().map(ZipImage.Problem::message).collect(Collectors.joining("\n"));
    }

    private static int indexOf(byte[] bytes, int signature, int occurrence) {
        int seen = 0;
        for (int i = 0; i + 4 <= bytes.length; i++) {
            int value = (bytes[i] & 0xFF) | (bytes[i + 1] & 0xFF) << 8 | (bytes[i + 2] & 0xFF) << 16
                    | (bytes[i + 3] & 0xFF) << 24;
            if (value == signature && seen++ == occurrence) {
                return i;
            }
        }
        throw new AssertionError("signature not found");
    }

    @Test
    void aWellFormedArchiveHasNoProblemAndItsEntriesReadBack() throws Exception {
        byte[] zip = sample().bytes();
        ZipImage image = ZipImage.parse(zip);
        assertEquals(List.of(), image.problems());
        assertEquals(List.of("META-INF/MANIFEST.MF", NAME), image.entries().stream().map(ZipImage.Entry::name).toList());
        assertEquals("some class bytes", new String(image.content(image.entries().get(1)), StandardCharsets.UTF_8));
    }

    @Test
    void aCrcThatDoesNotMatchTheDataIsNamed() {
        byte[] zip = sample().bytes();
        int local = indexOf(zip, 0x04034b50, 1);
        int central = indexOf(zip, 0x02014b50, 1);
        zip[local + 14] ^= 1;
        zip[central + 16] ^= 1;
        String problems = problems(zip);
        assertTrue(problems.contains(NAME) && problems.contains("CRC"), problems);
    }

    @Test
    void anUnsupportedCompressionMethodIsNamed() {
        byte[] zip = sample().bytes();
        zip[indexOf(zip, 0x04034b50, 1) + 8] = 12;
        zip[indexOf(zip, 0x02014b50, 1) + 10] = 12;
        String problems = problems(zip);
        assertTrue(problems.contains(NAME) && problems.contains("compression method 12"), problems);
    }

    @Test
    void anEndRecordDeferringToZip64IsRefused() {
        byte[] zip = sample().bytes();
        // entry counts of 0xFFFF mean "see the ZIP64 end record"
        int end = indexOf(zip, 0x06054b50, 0);
        zip[end + 8] = (byte) 0xFF;
        zip[end + 9] = (byte) 0xFF;
        zip[end + 10] = (byte) 0xFF;
        zip[end + 11] = (byte) 0xFF;
        String problems = problems(zip);
        assertTrue(problems.contains("ZIP64"), problems);
    }

    @Test
    void anEndRecordHiddenInTheCommentIsAProblem() {
        byte[] zip = sample().bytes();
        int end = indexOf(zip, 0x06054b50, 0);
        byte[] comment = java.util.Arrays.copyOfRange(zip, end, zip.length);
        byte[] withComment = java.util.Arrays.copyOf(zip, zip.length + comment.length);
        System.arraycopy(comment, 0, withComment, zip.length, comment.length);
        withComment[end + 20] = (byte) comment.length;
        String problems = problems(withComment);
        assertTrue(problems.contains("comment") && problems.contains("another end-of-central-directory"), problems);
    }

    @Test
    void twoDirectoryEntriesSharingOneLocalEntryAreNamedAndTheOrphanedBytesReported() {
        byte[] zip = sample().bytes();
        int central = indexOf(zip, 0x02014b50, 1);
        // point the second entry's local header offset at the first entry's local header
        zip[central + 42] = 0;
        zip[central + 43] = 0;
        zip[central + 44] = 0;
        zip[central + 45] = 0;
        String problems = problems(zip);
        assertTrue(problems.contains("the local header names it 'META-INF/MANIFEST.MF', the central directory '"
                + NAME + "'"), problems);
        assertTrue(problems.contains("overlaps"), problems);
        assertTrue(problems.contains("is not in the central directory"), problems);
    }
}
