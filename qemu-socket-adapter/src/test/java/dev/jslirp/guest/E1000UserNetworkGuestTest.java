package dev.jslirp.guest;

/** The user-network contract on an emulated Intel e1000, with a non-default MAC. */
class E1000UserNetworkGuestTest extends UserNetworkGuestContract {

    @Override
    NicModel nic() {
        return NicModel.E1000;
    }

    @Override
    String mac() {
        return "52:54:00:ab:cd:ef";
    }
}
