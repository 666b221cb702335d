// Package analyzer is lyncaudit's engine: it reads packets from capture
// sources, folds them into bidirectional flows, names each flow by its
// payload, asks package rules for verdicts and builds the report model.
//
// Time always comes from the capture, never from the wall clock, so a
// saved capture gives the same report whenever it is analysed.
package analyzer
