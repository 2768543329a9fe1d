/**
 * JMH benchmarks of jslirp's hot paths, each reporting time and allocation per
 * operation ({@code -prof gc}); see benchmarks/README.md for how to run them and the
 * results. Networks run either synchronously on an embedded loop
 * ({@link dev.jslirp.bench.EmbeddedNetwork}) or on a real loop with host peers on
 * 127.0.0.1 ({@link dev.jslirp.bench.LoopNetwork}); every benchmark checks at tear-down
 * that its operations took the path it names.
 */
package dev.jslirp.bench;
