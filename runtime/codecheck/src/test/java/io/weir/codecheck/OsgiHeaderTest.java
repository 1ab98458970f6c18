package io.weir.codecheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class OsgiHeaderTest {

    @Test
    void quotedVersionRangesMayHoldCommasWithoutSplittingClauses() {
        List<OsgiHeader.Clause> clauses = OsgiHeader.parse(
                "io.weir.filter;version=\"[1.0,2)\",java.util;resolution:=optional");
        assertEquals(2, clauses.size());
        assertEquals(List.of("io.weir.filter"), clauses.get(0).paths());
        assertEquals(Map.of("version", "[1.0,2)"), clauses.get(0).attributes());
        assertEquals(List.of("java.util"), clauses.get(1).paths());
        assertEquals(Map.of("resolution", "optional"), clauses.get(1).directives());
    }

    @Test
    void severalPathsShareTheParametersOfTheirClause() {
        List<OsgiHeader.Clause> clauses = OsgiHeader.parse("a.b;c.d ; version=1.0; uses:=\"x.y,z\"");
        assertEquals(1, clauses.size());
        assertEquals(List.of("a.b", "c.d"), clauses.get(0).paths());
        assertEquals(Map.of("version", "1.0"), clauses.get(0).attributes());
        assertEquals(Map.of("uses", "x.y,z"), clauses.get(0).directives());
    }

    @Test
    void typedAttributesAndEscapedQuotesAreUnderstood() {
        OsgiHeader.Clause clause = OsgiHeader.parse("p;objectClass:List<String>=\"a,b\";note=\"say \\\"hi\\\"; ok\"").get(0);
        assertEquals("a,b", clause.attributes().get("objectClass"));
        assertEquals("say \"hi\"; ok", clause.attributes().get("note"));
    }

    @Test
    void unterminatedQuoteIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OsgiHeader.parse("io.weir.filter;version=\"[1.0,2)"));
        assertTrue(e.getMessage().contains("unterminated"), e.getMessage());
    }

    @Test
    void pathAfterAParameterAndEmptyClausesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> OsgiHeader.parse("a.b;version=1;c.d"));
        assertThrows(IllegalArgumentException.class, () -> OsgiHeader.parse("a.b,,c.d"));
        assertThrows(IllegalArgumentException.class, () -> OsgiHeader.parse(";version=1"));
    }

    @Test
    void packageNamesAreDotSeparatedJavaIdentifiers() {
        assertTrue(OsgiHeader.isPackageName("io.weir.filter"));
        assertTrue(OsgiHeader.isPackageName("com.acme.v2_beta"));
        assertFalse(OsgiHeader.isPackageName("io..weir"));
        assertFalse(OsgiHeader.isPackageName("io.weir.*"));
        assertFalse(OsgiHeader.isPackageName("1io.weir"));
        assertFalse(OsgiHeader.isPackageName(""));
    }
}
