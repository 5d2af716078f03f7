package dev.tether.protocol;

/** What to do with a reliable payload that arrived in order. */
public enum Receipt {
    /** New: apply its effect and record the seq as applied, in one transaction. */
    APPLY,
    /** Already applied before (a replay): ignore it; it is acknowledged again. */
    DUPLICATE
}
