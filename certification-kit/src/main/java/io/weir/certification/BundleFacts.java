package io.weir.certification;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * What the runtime will read from a built filter bundle, for a partner's build to check before shipping: the
 * bundle's name, version and declared filter classes ({@code Weir-Filter-Classes}), the packages it imports and
 * exports, and the filter factories its Declarative Services descriptions register.
 *
 * @param symbolicName    {@code Bundle-SymbolicName} without directives
 * @param version         {@code Bundle-Version}
 * @param declaredClasses the classes of {@code Weir-Filter-Classes}, as written
 * @param imports         package names of {@code Import-Package}
 * @param exports         package names of {@code Export-Package}
 * @param filters         the components that provide {@code io.weir.filter.FilterFactory}
 */
public record BundleFacts(String symbolicName, String version, List<String> declaredClasses, List<String> imports,
                          List<String> exports, List<FilterComponent> filters) {
    private static final String FACTORY = "io.weir.filter.FilterFactory";

    public BundleFacts {
        declaredClasses = List.copyOf(declaredClasses);
        imports = List.copyOf(imports);
        exports = List.copyOf(exports);
        filters = List.copyOf(filters);
    }

    /**
     * One filter factory component.
     *
     * @param component   the component's name
     * @param filterName  its {@code weir.filterName} property
     * @param filterClass its {@code weir.filterClass} property
     */
    public record FilterComponent(String component, String filterName, String filterClass) {
    }

    /** The imported packages outside {@code java.*}: what the bundle needs from the framework. */
    public List<String> frameworkImports() {
        return imports.stream().filter(p -> !p.startsWith("java.")).toList();
    }

    /** Read the facts of the bundle jar at {@code jar}. */
    public static BundleFacts read(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            if (file.getManifest() == null) {
                throw new IOException(jar + " has no manifest");
            }
            Attributes main = file.getManifest().getMainAttributes();
            List<FilterComponent> filters = new ArrayList<>();
            for (String xml : names(main.getValue("Service-Component"))) {
                ZipEntry entry = file.getEntry(xml);
                if (entry == null) {
                    throw new IOException(jar + ": Service-Component names " + xml + ", which is not in the bundle");
                }
                try (InputStream in = file.getInputStream(entry)) {
                    filters.addAll(factories(in, jar + "!/" + xml));
                }
            }
            return new BundleFacts(first(names(main.getValue("Bundle-SymbolicName"))),
                    String.valueOf(main.getValue("Bundle-Version")), names(main.getValue("Weir-Filter-Classes")),
                    names(main.getValue("Import-Package")), names(main.getValue("Export-Package")), filters);
        }
    }

    private static String first(List<String> values) {
        return values.isEmpty() ? "" : values.get(0);
    }

    /** The filter factory components of one component description. */
    private static List<FilterComponent> factories(InputStream xml, String where) throws IOException {
        Document doc;
        try {
            DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
            dbf.setNamespaceAware(true);
            dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            doc = dbf.newDocumentBuilder().parse(xml);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException(where + " is not a readable component description: " + e.getMessage(), e);
        }
        List<FilterComponent> out = new ArrayList<>();
        NodeList components = doc.getElementsByTagNameNS("*", "component");
        for (int i = 0; i < components.getLength(); i++) {
            Element c = (Element) components.item(i);
            if (!provides(c)) {
                continue;
            }
            out.add(new FilterComponent(c.getAttribute("name"), property(c, "weir.filterName"),
                    property(c, "weir.filterClass")));
        }
        return out;
    }

    private static boolean provides(Element component) {
        NodeList provides = component.getElementsByTagName("provide");
        for (int i = 0; i < provides.getLength(); i++) {
            if (FACTORY.equals(((Element) provides.item(i)).getAttribute("interface"))) {
                return true;
            }
        }
        return false;
    }

    private static String property(Element component, String name) {
        NodeList properties = component.getElementsByTagName("property");
        for (int i = 0; i < properties.getLength(); i++) {
            Element p = (Element) properties.item(i);
            if (name.equals(p.getAttribute("name"))) {
                return p.getAttribute("value");
            }
        }
        return "";
    }

    /** The names of a manifest clause list (packages, paths, classes), skipping commas inside quoted values. */
    static List<String> names(String header) {
        List<String> names = new ArrayList<>();
        if (header == null || header.isBlank()) {
            return names;
        }
        StringBuilder clause = new StringBuilder();
        boolean quoted = false;
        for (char c : (header + ",").toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                String name = clause.toString().split(";")[0].trim();
                if (!name.isEmpty()) {
                    names.add(name);
                }
                clause.setLength(0);
            } else {
                clause.append(c);
            }
        }
        return names;
    }
}
