# K3s on a Homelab node. Off by default: the template carries the module, and Homelab's "Bootstrap
# Kubernetes" writes k3s-node.nix next to it with this node's settings (homelab.k3s.*), imports it
# and runs nixos-rebuild switch. The cluster token is only ever a file outside the Nix store
# (tokenFile, mode 0600): never a string here, which would land world-readable in /nix/store.
{ config, lib, pkgs, ... }:

let
  cfg = config.homelab.k3s;
  inherit (lib) mkOption mkIf types;
  packageAttr = "k3s_" + builtins.replaceStrings [ "." ] [ "_" ] cfg.channel;
in
{
  options.homelab.k3s = {
    enable = lib.mkEnableOption "K3s (lightweight Kubernetes) as set up by Homelab";
    role = mkOption {
      type = types.enum [ "server" "agent" ];
      default = "server";
      description = "server: control plane (and etcd member with 3 control planes); agent: worker.";
    };
    channel = mkOption {
      type = types.strMatching "[0-9]+\\.[0-9]+";
      default = "1.32";
      description = "K3s minor version; the package is pkgs.k3s_<major>_<minor>, its patch level pinned by flake.lock.";
    };
    clusterInit = mkOption {
      type = types.bool;
      default = false;
      description = "Start a new embedded-etcd cluster (the first of three control planes).";
    };
    serverAddr = mkOption {
      type = types.str;
      default = "";
      description = "https://<first control plane>:<port> for every node that joins.";
    };
    tokenFile = mkOption {
      type = types.str;
      default = "/var/lib/homelab/k3s/token";
      description = "The cluster token, a root-only file written by Homelab (never in the store).";
    };
    nodeName = mkOption { type = types.str; default = config.networking.hostName; };
    nodeIp = mkOption { type = types.str; default = ""; };
    tlsSans = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Every control-plane address and the virtual IP: the API certificate names them all.";
    };
    disable = mkOption {
      type = types.listOf (types.enum [ "traefik" "servicelb" "local-storage" "metrics-server" ]);
      default = [ ];
      description = "Bundled add-ons not to deploy.";
    };
    clusterCidr = mkOption { type = types.str; default = "10.42.0.0/16"; };
    serviceCidr = mkOption { type = types.str; default = "10.43.0.0/16"; };
    apiPort = mkOption { type = types.port; default = 6443; };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.role == "server" || cfg.serverAddr != "";
        message = "homelab.k3s: an agent needs serverAddr (the first control plane).";
      }
      {
        assertion = !(cfg.clusterInit && cfg.serverAddr != "");
        message = "homelab.k3s: clusterInit starts a cluster; a node with serverAddr joins one. Not both.";
      }
      {
        assertion = builtins.hasAttr packageAttr pkgs;
        message = "homelab.k3s: this nixpkgs has no ${packageAttr}; choose another K3s channel.";
      }
    ];

    services.k3s = {
      enable = true;
      role = cfg.role;
      package = pkgs.${packageAttr};
      clusterInit = cfg.clusterInit;
      serverAddr = cfg.serverAddr;
      tokenFile = cfg.tokenFile;
      extraFlags = import ./k3s-flags.nix cfg;
    };

    # kubernetes.nix opens 6443, etcd, kubelet, NodePorts and flannel VXLAN; a moved API port too.
    networking.firewall.allowedTCPPorts = lib.optional (cfg.apiPort != 6443) cfg.apiPort;
    environment.systemPackages = [ pkgs.${packageAttr} ];
  };
}
