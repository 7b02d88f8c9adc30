# The self-installing ISO: boots, partitions the disk with LVM, installs the template system
# and powers off. Lessons from the first version: systemd services get a minimal environment
# (explicit PATH and NIX_PATH), and there is no /usr/bin/env bash (use pkgs.bash).
{ config, lib, pkgs, modulesPath, params, templateSystem, flakeSource, ... }:

let
  installPath = lib.makeBinPath (with pkgs; [
    bash coreutils util-linux gnused gnugrep gawk findutils parted lvm2 e2fsprogs dosfstools
    systemd kmod nix nixos-install-tools config.system.build.nixos-install
  ]);
in
{
  imports = [ "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix" ];

  system.stateVersion = params.stateVersion;
  isoImage.squashfsCompression = "zstd -Xcompression-level 6"; # ~3x faster to build than xz
  isoImage.volumeID = "HOMELAB_NIXOS_AUTOINSTALL";
  boot.kernelParams = [ "console=ttyS0,115200" "console=tty0" ];

  # The template closure travels on the ISO.
  isoImage.storeContents = [ templateSystem ];
  environment.etc."homelab/template-system".text = "${templateSystem}";
  environment.etc."homelab/flake".source = flakeSource;
  environment.etc."homelab/autoinstall".text = "This live system installs the Homelab template.\n";

  networking.hostName = "nixos-autoinstall";
  environment.systemPackages = with pkgs; [ parted lvm2 e2fsprogs ];

  systemd.services.homelab-auto-install = {
    description = "Homelab: install the NixOS template to disk, then power off";
    wantedBy = [ "multi-user.target" ];
    after = [ "systemd-udev-settle.service" "network-online.target" ];
    wants = [ "network-online.target" ];
    # Guard: only on the live installer, never on an installed system.
    unitConfig = {
      ConditionPathExists = [ "/etc/homelab/autoinstall" "!/etc/nixos/hardware-configuration.nix" ];
      ConditionKernelCommandLine = "!homelab.noinstall";
    };
    environment = {
      PATH = lib.mkForce "${installPath}:/run/current-system/sw/bin";
      NIX_PATH = lib.mkForce "nixpkgs=${pkgs.path}:nixos-config=/etc/nixos/configuration.nix";
      HOMELAB_DISK = params.diskDevice;
      HOMELAB_SWAP_GIB = toString params.swapSizeGiB;
      HOMELAB_SYSTEM = "${templateSystem}";
      HOMELAB_FLAKE = "${flakeSource}";
    };
    serviceConfig = {
      Type = "oneshot";
      ExecStart = "${pkgs.bash}/bin/bash ${./auto-install.sh}";
      StandardOutput = "journal+console";
      StandardError = "journal+console";
      RemainAfterExit = true;
    };
  };
}
