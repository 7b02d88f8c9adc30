# Homelab NixOS template pipeline: a self-installing ISO and the template system it installs.
#   ISO:      nixos-rebuild build-image --image-variant iso-installer --flake .#installer
#             (or: nix build .#iso  ->  result/iso/*.iso)
#   template: nix build .#template   (the installed system; also embedded in the ISO)
# Parameters live in homelab-params.nix (rendered by Homelab from your settings).
{
  description = "Homelab: self-installing NixOS ISO and Proxmox template system";

  # Pinned to a released NixOS version; flake.lock (created on first build) pins the commit.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs = { self, nixpkgs }:
    let
      system = "x86_64-linux";
      params = import ./homelab-params.nix;
      lib = nixpkgs.lib;

      template = lib.nixosSystem {
        inherit system;
        specialArgs = { inherit params; };
        modules = [ ./template.nix ];
      };

      installer = lib.nixosSystem {
        inherit system;
        specialArgs = {
          inherit params;
          # The installer copies this prebuilt closure: the install works without network access.
          templateSystem = template.config.system.build.toplevel;
          flakeSource = self;
        };
        modules = [ ./installer.nix ];
      };
    in
    {
      nixosConfigurations = { inherit template installer; };

      packages.${system} = {
        # system.build.images replaces nixos-generators (deprecated since NixOS 25.05).
        iso = installer.config.system.build.images.iso-installer;
        template = template.config.system.build.toplevel;
        default = self.packages.${system}.iso;
      };
    };
}
