package io.weir.vscsi;

import java.util.Map;
import java.util.TreeMap;

import io.weir.vscsi.DiskException.Reason;

import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * Checks settings against the Metatype a bundle declares for them ({@code @Designate(ocd = ...)}): unknown keys,
 * values the definition rejects, and required settings that are missing are refused with the key named. The core
 * checks a filter's per-disk settings with it before the filter is created; the runtime checks a service's
 * settings before they reach Configuration Admin.
 */
public final class SettingsCheck {
    private SettingsCheck() {
    }

    /**
     * @param subject  what the settings are for, as a message names it: {@code "filter 'cache'"}
     * @param ocd      the declared definition
     * @param settings the settings, values as strings or of their declared type
     * @throws DiskException {@link Reason#INVALID} naming the subject and the offending key
     */
    public static void check(String subject, ObjectClassDefinition ocd, Map<String, ?> settings)
            throws DiskException {
        Map<String, AttributeDefinition> known = new TreeMap<>();
        AttributeDefinition[] all = ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
        if (all != null) {
            for (AttributeDefinition ad : all) {
                known.put(ad.getID(), ad);
            }
        }
        for (Map.Entry<String, ?> e : settings.entrySet()) {
            AttributeDefinition ad = known.get(e.getKey());
            if (ad == null) {
                throw new DiskException(Reason.INVALID, subject + " has no setting '" + e.getKey()
                        + "'" + (known.isEmpty() ? "; it takes none" : "; its settings: " + String.join(", ", known.keySet())));
            }
            String problem = ad.validate(String.valueOf(e.getValue()));
            if (problem != null && !problem.isEmpty()) {
                throw new DiskException(Reason.INVALID, subject + ": setting '" + e.getKey() + "' = '"
                        + e.getValue() + "' is invalid: " + problem);
            }
        }
        AttributeDefinition[] required = ocd.getAttributeDefinitions(ObjectClassDefinition.REQUIRED);
        if (required != null) {
            for (AttributeDefinition ad : required) {
                String[] defaults = ad.getDefaultValue();
                if (!settings.containsKey(ad.getID()) && (defaults == null || defaults.length == 0)) {
                    throw new DiskException(Reason.INVALID, subject + " needs the setting '"
                            + ad.getID() + "' (" + ad.getDescription() + ")");
                }
            }
        }
    }
}
