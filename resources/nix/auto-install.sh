# Run by homelab-auto-install.service on the live ISO (bash from the Nix store, explicit PATH).
# Partitions $HOMELAB_DISK with LVM (nixos-vg: swap + root ext4), installs the prebuilt template
# system $HOMELAB_SYSTEM, and powers off. Every line goes to the serial console: Homelab follows it.
set -euo pipefail
log() { echo "homelab-install: $*"; }
trap 'log "FAILED at line $LINENO (exit $?)"; exit 1' ERR

disk="${HOMELAB_DISK:?HOMELAB_DISK is not set}"
swap_gib="${HOMELAB_SWAP_GIB:-2}"
system="${HOMELAB_SYSTEM:?HOMELAB_SYSTEM is not set}"

# Never on an installed system: the live ISO runs from a tmpfs root.
root_fs="$(findmnt -n -o FSTYPE /)"
case "$root_fs" in
  tmpfs|overlay) ;;
  *) log "root is $root_fs, not the live ISO: refusing to install"; exit 0 ;;
esac

udevadm settle
if [ ! -b "$disk" ]; then
  log "disk $disk does not exist in this VM; disks: $(lsblk -dn -o NAME,SIZE | tr '\n' ' ')"
  exit 1
fi

log "step 1/6: partitioning $disk"
wipefs -af "$disk"
parted -s "$disk" -- mklabel msdos
parted -s "$disk" -- mkpart primary 1MiB 100%
parted -s "$disk" -- set 1 lvm on
udevadm settle
part="$(lsblk -ln -o PATH,TYPE "$disk" | awk '$2=="part"{print $1; exit}')"

log "step 2/6: LVM nixos-vg on $part"
pvcreate -ff -y "$part"
vgcreate nixos-vg "$part"
lvcreate -y -L "${swap_gib}G" -n swap nixos-vg
lvcreate -y -l 100%FREE -n root nixos-vg

log "step 3/6: filesystems"
mkfs.ext4 -F -L nixos /dev/nixos-vg/root
mkswap -L swap /dev/nixos-vg/swap
mount /dev/nixos-vg/root /mnt
swapon /dev/nixos-vg/swap

log "step 4/6: hardware configuration"
nixos-generate-config --root /mnt
# The flake that built this system, for later rebuilds on the guest.
mkdir -p /mnt/etc/nixos/homelab
cp -r "${HOMELAB_FLAKE}/." /mnt/etc/nixos/homelab/
chmod -R u+w /mnt/etc/nixos/homelab

log "step 5/6: installing $system"
nixos-install --no-root-passwd --no-channel-copy --system "$system"

log "step 6/6: done, powering off"
sync
swapoff /dev/nixos-vg/swap || true
umount -R /mnt
systemctl poweroff
