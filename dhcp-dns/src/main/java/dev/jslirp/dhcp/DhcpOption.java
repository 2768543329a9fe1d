package dev.jslirp.dhcp;

/** Option codes the server reads or writes (RFC 2132 unless noted). */
public final class DhcpOption {
    /** Padding, one byte without length (section 3.1). */
    public static final int PAD = 0;
    /** Subnet mask (3.3). */
    public static final int SUBNET_MASK = 1;
    /** Routers (3.5). */
    public static final int ROUTER = 3;
    /** Domain name servers (3.8). */
    public static final int DNS_SERVER = 6;
    /** Host name (3.14). */
    public static final int HOST_NAME = 12;
    /** Domain name (3.17). */
    public static final int DOMAIN_NAME = 15;
    /** Interface MTU (5.1). */
    public static final int INTERFACE_MTU = 26;
    /** Broadcast address (5.3). */
    public static final int BROADCAST_ADDRESS = 28;
    /** Requested IP address (9.1). */
    public static final int REQUESTED_ADDRESS = 50;
    /** IP address lease time (9.2). */
    public static final int LEASE_TIME = 51;
    /** Option overload (9.3); not supported: the server never reads sname/file as options. */
    public static final int OVERLOAD = 52;
    /** DHCP message type (9.6). */
    public static final int MESSAGE_TYPE = 53;
    /** Server identifier (9.7). */
    public static final int SERVER_ID = 54;
    /** Parameter request list (9.8). */
    public static final int PARAMETER_REQUEST_LIST = 55;
    /** Message, for NAK text (9.9). */
    public static final int MESSAGE = 56;
    /** Maximum DHCP message size (9.10). */
    public static final int MAX_MESSAGE_SIZE = 57;
    /** Renewal (T1) time (9.11). */
    public static final int RENEWAL_TIME = 58;
    /** Rebinding (T2) time (9.12). */
    public static final int REBINDING_TIME = 59;
    /** Vendor class identifier (9.13). */
    public static final int VENDOR_CLASS_ID = 60;
    /** Client identifier (9.14); echoed in replies (RFC 6842). */
    public static final int CLIENT_ID = 61;
    /** TFTP server name (9.4). */
    public static final int TFTP_SERVER_NAME = 66;
    /** Boot file name (9.5). */
    public static final int BOOTFILE_NAME = 67;
    /** Client FQDN (RFC 4702): flags, two obsolete RCODE bytes, then the name. */
    public static final int CLIENT_FQDN = 81;
    /** Domain search list (RFC 3397). */
    public static final int DOMAIN_SEARCH = 119;
    /** End of options, one byte without length (3.2). */
    public static final int END = 255;

    private DhcpOption() {
    }
}
