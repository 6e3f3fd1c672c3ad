# bash completion for carrel. The commands and their flags are read from
# carrel itself (`carrel help`, `carrel COMMAND --help`), so every command and
# every flag is offered, and none that this carrel lacks; container ids come
# from `carrel list -q` under the same --root.

_carrel_flags() { # the long and short options that `carrel [CMD] --help` prints
	"$1" ${2:+"$2"} --help 2>/dev/null | grep -E '^[[:space:]]+-' |
		grep -oE '(^|[ ,/])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[ ,/]//' | sort -u
}

_carrel() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	local carrel=${words[0]} i cmd="" cmd_i=0 root=()
	# global options come before the command; these take a value
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--root) root=(--root "${words[i + 1]}"); ((i++)) ;;
		--root=*) root=("${words[i]}") ;;
		--log | --log-format | --criu | --cgroup-manager) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]} cmd_i=$i; break ;;
		esac
	done
	local ids="$carrel ${root[*]} list -q"
	if [ -z "$cmd" ]; then
		case $prev in
		--root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		--log | --criu) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$(_carrel_flags "$carrel")" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$carrel" help 2>/dev/null | awk '/^COMMANDS:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')" -- "$cur"))
		fi
		return
	fi
	case $prev in
	-b | --bundle | --rootfs | --cwd | --workdir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--pid-file | --console-socket | --pidfd-socket | -p | --process | -r | --resources | --bind)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--profile) COMPREPLY=($(compgen -W "default server minimal" -- "$cur") $(compgen -f -- "$cur")); return ;;
	--seccomp) COMPREPLY=($(compgen -W "default unconfined" -- "$cur") $(compgen -f -- "$cur")); return ;;
	--net) COMPREPLY=($(compgen -W "none host netns: veth veth:" -- "$cur")); return ;;
	--userns) COMPREPLY=($(compgen -W "host auto private" -- "$cur")); return ;;
	-f | --format) [ "$cmd" = list ] || [ "$cmd" = ps ] && { COMPREPLY=($(compgen -W "table json" -- "$cur")); return; } ;;
	--stop-signal) COMPREPLY=($(compgen -W "$(kill -l | tr -s '\t ' '\n\n' | grep '^SIG')" -- "$cur")); return ;;
	--cap-add | --cap-drop | -c | --cap)
		COMPREPLY=($(compgen -W "ALL $(grep -o 'CAP_[A-Z_]*' /usr/include/linux/capability.h 2>/dev/null | sort -u | sed 's/^CAP_//')" -- "${cur#CAP_}"))
		return ;;
	--name | --hostname | --memory | --memory-swap | --cpus | --pids | --io-weight | --tmpfs | --user | -u | \
		--env | -e | --timeout | --interval | --preserve-fds | --additional-gids | -g | --cgroup | --memory-reservation | \
		--cpu-quota | --cpu-period | --cpu-share | --cpuset-cpus | --cpuset-mems | --pids-limit | --blkio-weight)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_carrel_flags "$carrel" "$cmd")" -- "$cur"))
		return
	fi
	case $cmd in
	help) COMPREPLY=($(compgen -W "$("$carrel" help 2>/dev/null | awk '/^COMMANDS:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')" -- "$cur")) ;;
	create | spec | features | list) ;;
	run) local w; for w in "${words[@]:cmd_i}"; do [ "$w" = -- ] && { COMPREPLY=($(compgen -c -- "$cur")); return; }; done ;;
	kill)
		# the id, then a signal
		local n=0
		for ((i = cmd_i + 1; i < cword; i++)); do [[ ${words[i]} == -* || ${words[i - 1]} == --timeout ]] || ((n++)); done
		if ((n == 0)); then COMPREPLY=($(compgen -W "$($ids 2>/dev/null)" -- "$cur"))
		else COMPREPLY=($(compgen -W "$(kill -l | tr -s '\t ' '\n\n' | grep '^SIG' | sed 's/^SIG//')" -- "$cur")); fi ;;
	*) COMPREPLY=($(compgen -W "$($ids 2>/dev/null)" -- "$cur")) ;;
	esac
}
complete -F _carrel carrel
