/**
 * {@code jslirp slirp4netns}: a drop-in for slirp4netns 1.2, so that rootless container
 * tools (rootlesskit's {@code --slirp4netns-binary}, podman's {@code network_cmd_path})
 * get jslirp's network for a container's namespace. The repository's
 * {@code jslirp-slirp4netns} executable runs it.
 *
 * <ul>
 *   <li>{@link dev.jslirp.slirp4netns.Slirp4netnsCommand}: the command line and help in
 *       slirp4netns's form, readiness and exit descriptors, the process's life;
 *       {@code Slirp4netnsOptions}, {@code SlirpAddresses}: every value checked as
 *       slirp4netns checks it.</li>
 *   <li>{@code Slirp4netns}: the network, the tap and the API socket, assembled.</li>
 *   <li>{@code NamespaceTarget}, {@code TapHelperProcess},
 *       {@link dev.jslirp.slirp4netns.TapHelper}: opening the tap inside a user namespace
 *       the JVM cannot enter, through a helper process and {@code SCM_RIGHTS}.</li>
 *   <li>{@code ApiServer}, {@code ApiSession}, {@code ApiRequest}, {@code ApiCommands}:
 *       the JSON API socket ({@code add_hostfwd}, {@code list_hostfwd},
 *       {@code remove_hostfwd}) with slirp4netns's replies.</li>
 * </ul>
 *
 * <h2>Differences from slirp4netns</h2>
 * <ul>
 *   <li>{@code --enable-sandbox} is accepted with a warning and not applied, and the help
 *       does not list it, so callers that detect features do not ask for it;
 *       {@code --enable-seccomp} installs a deny-list ({@code SyscallFilter}), not
 *       slirp4netns's allow-list; {@code --target-type=bess} and
 *       {@code --netns-type=tapfd} are refused.</li>
 *   <li>The MTU is 576..65520 (slirp4netns: 1..65521); {@code --cidr}'s prefix 8..25 (1..25).</li>
 *   <li>A usage mistake exits 2 with one line naming the option; slirp4netns exits 1
 *       after its usage text. Long options are written in full: getopt also takes an
 *       unambiguous prefix.</li>
 *   <li>The API socket is created owner-only (0600); a request may arrive in several
 *       writes; a request that is not a valid command gets the error for the argument at
 *       fault where slirp4netns would crash or take it (no {@code proto}, a fractional
 *       or negative port).</li>
 * </ul>
 */
package dev.jslirp.slirp4netns;
