// Package seed generates the synthetic, US Core-shaped data set of the demo
// server and of the load benchmarks.
//
// The generator is deterministic: the same Options give byte-identical
// output, so a benchmark run can be repeated and a demo looks the same on
// every machine. It streams: each resource is handed to a sink as soon as it
// is written, and only the current patient's small plan is kept in memory,
// so 100,000 patients cost no more memory than ten.
//
// Realism comes from a small clinical model per patient (age, sex, chronic
// conditions with onsets, a growth curve, a visit schedule) from which every
// record is derived, so vitals, labs, medications, notes and dates agree
// with each other. Codes, names and places come from built-in tables of real
// code systems (SNOMED CT, ICD-10-CM, LOINC, RxNorm, CVX, NUCC) and of
// invented people and organisations.
package seed
