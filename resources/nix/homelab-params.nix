# Default parameters. Homelab renders this file from the homelab.nix.* settings before each build;
# after "Homelab: Eject NixOS Files" the copy in homelab/nix/ is yours and is used as written.
{
  hostName = "nixos-template";
  diskDevice = "/dev/sda";
  swapSizeGiB = 2;
  timezone = "UTC";
  nfsServer = "";
  nfsExport = "";
  nfsMountPoint = "/mnt/nfs";
  extraPackages = [ ];
  sshKeys = [ ];
  adminUser = "admin";
  stateVersion = "25.05";
}
