/**
 * The shell functions of the start script (start-script.ts), kept apart because they are the part
 * that must be right for security:
 *
 *   lb_path X [dir|file]  sets $P to the host path of container path X: symlinks are followed as if the rootfs
 *                         were "/" (an absolute target restarts at $R, ".." stops at $R), so no
 *                         image can make a mount or mkdir land outside its rootfs; missing
 *                         components are created on request. Nothing of the container runs yet.
 *   lb_bind               a volume or bind mount as an fstab entry (copy-up into a new volume first)
 *   lb_user               user[:group] → UID_ GID_ from the container's passwd and group files
 *   lb_command            the command exists and is executable inside the container (127 / 126)
 *
 * Mounts are collected in fstab files and made by one `mount -a --fstab` each: every exec costs a
 * few milliseconds, and `run --rm IMAGE true` must stay under Docker's time.
 */
/** Shell functions for the start script; $R is the rootfs mountpoint. (`@{` stands for `${`.) */
export const START_FUNCTIONS = String.raw`
fail() { code=$1; shift; printf 'LB-FAIL %s %s\n' "$code" "$*" >&3; exit "$code"; }
lb_path() {
  rest=$1 cur= hops=0
  while :; do
    case $rest in /*) rest=@{rest#/}; continue;; esac
    [ -n "$rest" ] || break
    comp=@{rest%%/*}
    case $rest in */*) rest=@{rest#*/};; *) rest=;; esac
    case $comp in .|'') continue;; ..) cur=@{cur%/*}; continue;; esac
    if [ -L "$R$cur/$comp" ]; then
      hops=$((hops+1)); [ $hops -le 40 ] || return 1
      target=$("$T_READLINK" -- "$R$cur/$comp") || return 1
      case $target in /*) cur=;; esac
      rest=$target/$rest
      continue
    fi
    if [ ! -e "$R$cur/$comp" ] && [ -n "@{2:-}" ]; then
      if [ -z "$rest" ] && [ "$2" = file ]; then : > "$R$cur/$comp" || return 1; else mkdir -m 755 "$R$cur/$comp" || return 1; fi
    fi
    cur=$cur/$comp
  done
  P=$R$cur
}
lb_esc() { # fstab escaping for the rare path with whitespace or a backslash
  case $1 in *[[:space:]\\]*) printf '%s' "$1" | "$T_SED" -e 's/\\/\\134/g' -e 's/ /\\040/g' -e 's/	/\\011/g';; *) printf '%s' "$1";; esac
}
lb_tab() {
  case $2$3 in
    *[[:space:]\\]*) printf '%s %s %s %s 0 0\n' "$(lb_esc "$2")" "$(lb_esc "$3")" "$4" "$5" >> "$1";;
    *) printf '%s %s %s %s 0 0\n' "$2" "$3" "$4" "$5" >> "$1";;
  esac
}
lb_bind() { # lb_bind FSTAB SRC TARGET_IN_CONTAINER RO COPYUP: resolve (and create) the mountpoint, copy up, add the entry
  if [ -d "$2" ]; then kind=dir; else kind=file; fi
  lb_path "$3" $kind || fail 125 "cannot create mountpoint $3 in the container"
  dst=$P
  if [ "$5" = 1 ] && [ -d "$dst" ] && [ -z "$("$T_LS" -A "$2")" ]; then "$T_CP" -a "$dst/." "$2/" || fail 125 "copying the image content at $3 into its volume failed"; fi
  if [ "$4" = 1 ]; then lb_tab "$1" "$2" "$dst" none bind,ro; else lb_tab "$1" "$2" "$dst" none bind; fi
}
lb_user() { # sets UID_ GID_ from "user[:group]" using the container's /etc/passwd and /etc/group
  u=@{1%%:*} g=; case $1 in *:*) g=@{1#*:};; esac
  UID_= GID_=
  pw=; lb_path /etc/passwd && pw=$P
  if [ -n "$u" ] && [ -f "$pw" ]; then
    while IFS=: read -r n _ i gi _; do
      if [ "$n" = "$u" ] || [ "$i" = "$u" ]; then UID_=$i GID_=$gi; break; fi
    done < "$pw"
  fi
  if [ -z "$UID_" ]; then
    case $u in '') UID_=0 GID_=0;; *[!0-9]*) fail 125 "unable to find user $u: no matching entries in passwd file";; *) UID_=$u GID_=0;; esac
  fi
  if [ -n "$g" ]; then
    found= gr=; lb_path /etc/group && gr=$P
    if [ -f "$gr" ]; then
      while IFS=: read -r n _ i _; do
        if [ "$n" = "$g" ] || [ "$i" = "$g" ]; then found=$i; break; fi
      done < "$gr"
    fi
    if [ -z "$found" ]; then
      case $g in *[!0-9]*|'') fail 125 "unable to find group $g: no matching entries in group file";; *) found=$g;; esac
    fi
    GID_=$found
  fi
}
lb_command() { # checks that $1 can be executed inside the container (PATH from $CPATH)
  case $1 in
    */*)
      lb_path "$1" || fail 127 "exec: \"$1\": too many levels of symbolic links"
      p=$P
      [ -e "$p" ] || fail 127 "exec: \"$1\": stat $1: no such file or directory"
      [ ! -d "$p" ] || fail 126 "exec: \"$1\": is a directory"
      [ -x "$p" ] || fail 126 "exec: \"$1\": permission denied";;
    *)
      IFS=:; for d in $CPATH; do
        unset IFS
        lb_path "@{d:-.}/$1" || continue
        p=$P
        if [ -f "$p" ] && [ -x "$p" ]; then return 0; fi
      done
      unset IFS
      fail 127 "exec: \"$1\": executable file not found in \$PATH";;
  esac
}
`.replace(/@\{/g, '${');
