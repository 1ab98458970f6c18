/**
 * Candidates that each break one rule of the data-path contract on purpose, for testing the certification kit and
 * the tools built on it. Each class's comment names the rule it breaks and the kit checks that must catch it.
 */
package io.weir.certification.broken;
