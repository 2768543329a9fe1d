/**
 * QEMU's stream protocol ({@code -netdev stream}, {@code -netdev socket} over TCP): the
 * length-prefix codec ({@link dev.jslirp.transport.stream.StreamFrameDecoder},
 * {@link dev.jslirp.transport.stream.StreamFrameEncoder}), jslirp listening
 * ({@link dev.jslirp.transport.stream.StreamServer}) and jslirp connecting
 * ({@link dev.jslirp.transport.stream.StreamClient}).
 */
package dev.jslirp.transport.stream;
