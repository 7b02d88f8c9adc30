# Kubernetes prerequisites: container runtime, kernel modules and sysctls for pod networking.
{ lib, pkgs, ... }:
{
  virtualisation.containerd.enable = true;
  environment.systemPackages = with pkgs; [ cri-tools conntrack-tools ethtool socat iptables ];

  boot.kernelModules = [ "overlay" "br_netfilter" ];
  boot.kernel.sysctl = {
    "net.ipv4.ip_forward" = 1;
    "net.ipv6.conf.all.forwarding" = 1;
    "net.bridge.bridge-nf-call-iptables" = 1;
    "net.bridge.bridge-nf-call-ip6tables" = 1;
  };
  # kubelet refuses to run with swap unless told otherwise; keep swap but let it stay idle.
  boot.kernel.sysctl."vm.swappiness" = lib.mkDefault 0;
  # Firewall stays on; the ports a kubeadm/k3s cluster uses are open (API, etcd, kubelet,
  # NodePorts, flannel VXLAN).
  networking.firewall = {
    allowedTCPPorts = [ 6443 2379 2380 10250 ];
    allowedTCPPortRanges = [ { from = 30000; to = 32767; } ];
    allowedUDPPorts = [ 8472 ];
  };
}
