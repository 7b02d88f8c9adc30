# The installed template system: GRUB (BIOS) on LVM, cloud-init, QEMU guest agent, SSH with keys
# only, an optional NFS mount, and what Kubernetes nodes need.
{ config, lib, pkgs, modulesPath, params, ... }:

let
  hasNfs = params.nfsServer != "" && params.nfsExport != "";
  # "htop" or "python3Packages.requests": a path into pkgs; a wrong name fails the build clearly.
  pkgByName = name:
    lib.attrByPath (lib.splitString "." name)
      (throw "homelab-params.nix: extraPackages: no package named '${name}' in nixpkgs")
      pkgs;
in
{
  imports = [
    "${modulesPath}/profiles/qemu-guest.nix"
    ./kubernetes.nix
    ./k3s.nix # off until Homelab's bootstrap writes k3s-node.nix (homelab.k3s.enable)
  ];

  system.stateVersion = params.stateVersion;
  networking.hostName = params.hostName;
  time.timeZone = params.timezone;

  # Disk layout made by auto-install.sh: BIOS boot partition + LVM (nixos-vg: root ext4, swap).
  boot.loader.grub = {
    enable = true;
    device = params.diskDevice;
  };
  boot.initrd.services.lvm.enable = true;
  boot.initrd.availableKernelModules = [ "virtio_pci" "virtio_scsi" "virtio_blk" "sd_mod" "ahci" ];
  boot.kernelParams = [ "console=ttyS0,115200" "console=tty0" ];
  fileSystems."/" = {
    device = "/dev/nixos-vg/root";
    fsType = "ext4";
    autoResize = true;
  };
  swapDevices = [ { device = "/dev/nixos-vg/swap"; } ];

  # Cloud-init sets user, keys and addresses per clone; the network comes from it (DHCP otherwise).
  services.cloud-init = {
    enable = true;
    network.enable = true;
  };
  networking.useDHCP = lib.mkDefault true;
  services.qemuGuest.enable = true;

  services.openssh = {
    enable = true;
    settings = {
      PasswordAuthentication = false;
      KbdInteractiveAuthentication = false;
      PermitRootLogin = "prohibit-password";
    };
  };
  users.users.${params.adminUser} = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    openssh.authorizedKeys.keys = params.sshKeys;
  };
  users.users.root.openssh.authorizedKeys.keys = params.sshKeys;
  security.sudo.wheelNeedsPassword = false;

  # NFS client: off when server or export is empty.
  services.rpcbind.enable = hasNfs;
  boot.supportedFilesystems = lib.mkIf hasNfs [ "nfs" ];
  fileSystems.${params.nfsMountPoint} = lib.mkIf hasNfs {
    device = "${params.nfsServer}:${params.nfsExport}";
    fsType = "nfs";
    options = [ "nfsvers=4" "rsize=1048576" "wsize=1048576" "hard" "_netdev" "nofail" "x-systemd.automount" ];
  };

  nix.settings.experimental-features = [ "nix-command" "flakes" ];
  environment.systemPackages = (with pkgs; [ vim git curl htop nfs-utils ]) ++ map pkgByName params.extraPackages;
}
