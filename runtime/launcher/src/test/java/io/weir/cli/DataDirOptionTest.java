package io.weir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

class DataDirOptionTest {
    @Test
    void optionWinsOverTheEnvironmentWhichWinsOverTheHomeDirectory() {
        Map<String, String> env = Map.of(DataDirOption.ENV, "/srv/weir");
        assertEquals(Path.of("/data/x"), DataDirOption.resolve(Path.of("/data/x"), env, "/home/u"));
        assertEquals(Path.of("/srv/weir"), DataDirOption.resolve(null, env, "/home/u"));
        assertEquals(Path.of("/home/u/.weir"), DataDirOption.resolve(null, Map.of(), "/home/u"));
        assertEquals(Path.of("/home/u/.weir"), DataDirOption.resolve(null, Map.of(DataDirOption.ENV, " "), "/home/u"));
    }

    @Test
    void relativeDataDirIsMadeAbsolute() {
        Path p = DataDirOption.resolve(Path.of("rel/../d"), Map.of(), "/home/u");
        assertEquals(Path.of("d").toAbsolutePath(), p);
    }

    @Test
    void adminSocketLivesInTheRunDirectory() {
        assertEquals(Path.of("/d/run/admin.sock"), DataDirOption.socketOf(Path.of("/d")));
    }
}
