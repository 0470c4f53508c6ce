# bash completion for encore                                  -*- shell-script -*-
#
# Source it (or install it as /usr/share/bash-completion/completions/encore).
# Nothing about encore's options is written down here: the subcommands come
# from `encore --help`, each subcommand's options, which of them take an
# argument and what it is called (FILE, REC, SPEC, NAME...) from
# `encore CMD --help` (the lines whose first non-space character is `-`),
# run with the very binary being completed (${COMP_WORDS[0]}), and the
# built-in plugins from `encore simulate --list-plugins`.  Each is read once
# a shell session (per binary) and kept in _encore_cache_* variables.
# Only the values of a few option arguments (--arch, --engine, --delivery,
# --net, --rtc) are listed here; tests/e2e/completion.sh checks that each of
# them still appears in the help.
#
# bash 4.0 or later; coreutils' timeout if present, nothing else.

# _encore_bin: the encore binary being completed, in _encore_b ("" if none).
_encore_bin() {
	local w=${COMP_WORDS[0]}
	_encore_b=
	case $w in
	\~/*) w=$HOME/${w#\~/} ;;
	\'*\' | \"*\") w=${w:1:${#w}-2} ;;
	esac
	if [[ $w == */* ]]; then
		[[ -f $w && -x $w ]] && _encore_b=$w
	else
		_encore_b=$(type -P -- "$w" 2>/dev/null)
	fi
	# A different binary than the cache was filled from: forget the cache.
	if [[ ${_encore_cache_bin-} != "$_encore_b" ]]; then
		local v
		for v in $(compgen -v _encore_cache_); do unset "$v"; done
		_encore_cache_bin=$_encore_b
	fi
	[[ -n $_encore_b ]]
}

# _encore_run ARGS...: the binary's standard output for ARGS, quietly.
_encore_run() {
	if type -P timeout >/dev/null 2>&1; then
		timeout 5 "$_encore_b" "$@" </dev/null 2>/dev/null
	else
		"$_encore_b" "$@" </dev/null 2>/dev/null
	fi
}

# _encore_commands: the subcommands (the "commands:" section of --help)
# into _encore_cache_commands.
_encore_commands() {
	[[ -n ${_encore_cache_commands-} ]] && return 0
	local line in='' list='' re='^  ([a-z][-a-z0-9]*)  '
	while IFS= read -r line; do
		if [[ $line == commands:* ]]; then in=1; continue; fi
		[[ -n $in ]] || continue
		[[ -z $line ]] && break
		[[ $line =~ $re ]] && list+=" ${BASH_REMATCH[1]}"
	done < <(_encore_run --help)
	[[ -n $list ]] && _encore_cache_commands=${list# }
	[[ -n $list ]]
}

# _encore_parse CMD: read `encore CMD --help` into
#   _encore_cache_opts_CMD  every option name, space-separated;
#   _encore_cache_args_CMD  " NAME:ARG " for each option taking an argument
#                           (ARG as the help spells it: FILE, REC, SPEC...);
#   _encore_cache_pos_CMD   the positional argument the usage line names
#                           (REC, FILE), or "-" for none.
# An option line: `  -m, --mem SIZE    text`; an argument is the word one
# space after the last name (`--engine NAME the CPU engine` has only one
# space before its text); a flag has two or more (`--realtime   text`).
_encore_parse() {
	local cmd=$1
	[[ $cmd =~ ^[a-z][a-z0-9]*$ ]] || return 1
	local v=_encore_cache_opts_$cmd
	[[ -n ${!v-} ]] && return 0
	local line rest name names opts='' args=' ' pos=- arg
	local re_opt='^(-[A-Za-z0-9]|--[A-Za-z0-9][-A-Za-z0-9]*)(.*)$'
	local re_arg='^ ([^ ]+)'
	local re_usage='^usage: [^ ]+ [^ ]+ ([A-Z][A-Z0-9_]*)( |$)'
	while IFS= read -r line; do
		if [[ $line =~ $re_usage ]]; then
			pos=${BASH_REMATCH[1]}
			continue
		fi
		rest=${line#"${line%%[![:space:]]*}"}
		[[ $rest == -* ]] || continue
		names=
		while [[ $rest =~ $re_opt ]]; do
			names+=" ${BASH_REMATCH[1]}"
			rest=${BASH_REMATCH[2]}
			[[ $rest == ", -"* ]] || break
			rest=${rest#, }
		done
		[[ -n $names ]] || continue
		opts+=$names
		if [[ $rest =~ $re_arg ]]; then
			arg=${BASH_REMATCH[1]}
			for name in $names; do args+="$name:$arg "; done
		fi
	done < <(_encore_run "$cmd" --help)
	[[ -n $opts ]] || return 1
	printf -v "_encore_cache_opts_$cmd" '%s' "${opts# }"
	printf -v "_encore_cache_args_$cmd" '%s' "$args"
	printf -v "_encore_cache_pos_$cmd" '%s' "$pos"
}

# _encore_plugins: the built-in plugins into _encore_cache_plugins, and
# each one's option keys ("key=") into _encore_cache_pkeys_NAME.
_encore_plugins() {
	[[ -n ${_encore_cache_plugins-} ]] && return 0
	local line name='' list='' key
	local re_name='^([a-z][a-z0-9_]*)( |$)' re_key='^ +([a-z][a-z0-9_]*)='
	while IFS= read -r line; do
		if [[ $line =~ $re_name ]]; then
			name=${BASH_REMATCH[1]}
			list+=" $name"
			printf -v "_encore_cache_pkeys_$name" '%s' ''
		elif [[ -n $name && $line =~ $re_key ]]; then
			key=_encore_cache_pkeys_$name
			printf -v "$key" '%s' "${!key} ${BASH_REMATCH[1]}="
		fi
	done < <(_encore_run simulate --list-plugins)
	[[ -n $list ]] && _encore_cache_plugins=${list# }
	[[ -n $list ]]
}

# _encore_add WORDS...: append to COMPREPLY.
_encore_add() {
	local w
	for w in "$@"; do COMPREPLY[${#COMPREPLY[@]}]=$w; done
}

# _encore_compgen ARGS...: append compgen's matches, one a line, to COMPREPLY.
_encore_compgen() {
	local w
	while IFS= read -r w; do
		[[ -n $w ]] && COMPREPLY[${#COMPREPLY[@]}]=$w
	done < <(compgen "$@" 2>/dev/null)
}

_encore_files() {
	compopt -o filenames 2>/dev/null
	_encore_compgen -f -- "$1"
}

_encore_dirs() {
	compopt -o filenames 2>/dev/null
	_encore_compgen -d -- "$1"
}

# _encore_recordings CUR: directories, recordings (with a meta file) first:
# the recordings, and the directories holding recordings to descend into
# (with a "/"); when there are none of either, every directory.
_encore_recordings() {
	local cur=$1 d p q recs=() dirs=() all=()
	while IFS= read -r d; do
		[[ -n $d ]] || continue
		d=${d%/}
		# compgen keeps a leading ~/ as it is: test the real path, and
		# quote the rest only, so that the ~ still expands.
		if [[ $d == \~/* ]]; then
			p=$HOME/${d#\~/}
			q=\~/$(printf '%q' "${d#\~/}")
		else
			p=$d q=$(printf '%q' "$d")
		fi
		if [[ -f $p/meta ]]; then
			recs[${#recs[@]}]=$q
		elif [[ -n $(compgen -G "$p/*/meta" 2>/dev/null) ]]; then
			# (in a subshell: compgen -G in the completion function
			# itself would turn on readline's filename mode)
			dirs[${#dirs[@]}]=$q/
		else
			all[${#all[@]}]=$q/
		fi
	done < <(compgen -d -- "$cur" 2>/dev/null)
	if ((${#recs[@]} + ${#dirs[@]})); then
		_encore_add ${recs[@]+"${recs[@]}"} ${dirs[@]+"${dirs[@]}"}
		((${#dirs[@]})) && compopt -o nospace 2>/dev/null
	else
		_encore_add ${all[@]+"${all[@]}"}
		((${#all[@]})) && compopt -o nospace 2>/dev/null
	fi
	return 0
}

# _encore_plugin_spec CUR: NAME[,key=value...], a built-in plugin or a
# plugin's .so file.
_encore_plugin_spec() {
	local cur=$1
	if [[ $cur == *,* ]]; then
		# After NAME,: the plugin's option keys.
		local name=${cur%%,*} head=${cur%,*} k
		[[ $name =~ ^[a-z][a-z0-9_]*$ ]] || return 0
		_encore_plugins || return 0
		k=_encore_cache_pkeys_$name
		local keys=${!k-}
		[[ -n $keys ]] || return 0
		for k in $(compgen -W "$keys" -- "${cur##*,}"); do _encore_add "$head,$k"; done
		compopt -o nospace 2>/dev/null
		return 0
	fi
	_encore_plugins && _encore_compgen -W "$_encore_cache_plugins" -- "$cur"
	compopt -o filenames 2>/dev/null
	_encore_compgen -f -X '!*.so' -- "$cur"
	_encore_compgen -d -- "$cur"
}

# _encore_value CMD OPT ARG CUR: complete CUR as OPT's argument ARG.
_encore_value() {
	local cmd=$1 opt=$2 arg=$3 cur=$4
	case $opt in
	--arch) _encore_compgen -W 'x86_64 arm64' -- "$cur"; return 0 ;;
	--engine) _encore_compgen -W 'interp kvm' -- "$cur"; return 0 ;;
	--delivery) _encore_compgen -W 'exits precise' -- "$cur"; return 0 ;;
	--net) _encore_compgen -W 'user none' -- "$cur"; return 0 ;;
	--rtc) _encore_compgen -W 'base=utc' -- "$cur"; return 0 ;;
	esac
	case $arg in
	FILE*) _encore_files "$cur" ;;
	SPEC*) _encore_plugin_spec "$cur" ;;
	REC | NEWREC | OUT | DIR) _encore_dirs "$cur" ;;
	esac
	return 0
}

# _encore_positional CMD POS CUR
_encore_positional() {
	local cmd=$1 pos=$2 cur=$3
	case $pos in
	REC) _encore_recordings "$cur" ;;
	FILE)
		# memtrace reads the plugin's .zst output (or - for stdin).
		compopt -o filenames 2>/dev/null
		_encore_compgen -f -X '!*.zst' -- "$cur"
		_encore_compgen -d -- "$cur"
		((${#COMPREPLY[@]})) || _encore_compgen -f -- "$cur"
		;;
	esac
	return 0
}

_encore() {
	COMPREPLY=()
	local IFS=$' \t\n'
	local cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]-} prev=''
	((cword > 0)) && prev=${COMP_WORDS[cword - 1]}
	local _encore_b
	_encore_bin || return 0

	# The first word: a subcommand, --help or --version.
	if ((cword == 1)); then
		if [[ $cur == -* ]]; then
			_encore_compgen -W '--help --version' -- "$cur"
		elif _encore_commands; then
			_encore_compgen -W "$_encore_cache_commands" -- "$cur"
		fi
		return 0
	fi

	local cmd=${COMP_WORDS[1]}
	_encore_parse "$cmd" || return 0
	local v=_encore_cache_opts_$cmd
	local opts=${!v}
	v=_encore_cache_args_$cmd
	local args=${!v}
	v=_encore_cache_pos_$cmd
	local pos=${!v}

	# --opt=value: "=" is in COMP_WORDBREAKS, so it may be a word of its own.
	local opt='' prefix=''
	if [[ $cur == = && $prev == -* ]]; then
		opt=$prev cur=
	elif [[ $prev == = ]] && ((cword >= 3)) && [[ ${COMP_WORDS[cword - 2]} == -* ]]; then
		opt=${COMP_WORDS[cword - 2]}
	elif [[ $cur == --*=* ]]; then
		opt=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
	elif [[ $prev == -* && $prev != *=* ]]; then
		opt=$prev
	elif [[ $cur == = || $prev == = ]]; then
		return 0
	fi
	if [[ -n $opt ]]; then
		if [[ $args == *" $opt:"* ]]; then
			local arg=${args#*" $opt:"}
			arg=${arg%% *}
			_encore_value "$cmd" "$opt" "$arg" "$cur"
			if [[ -n $prefix ]]; then
				local k
				for k in "${!COMPREPLY[@]}"; do COMPREPLY[k]=$prefix${COMPREPLY[k]}; done
			fi
			return 0
		fi
		[[ -n $prefix ]] && return 0
	fi

	# Has the positional argument been given yet?
	local k=2 w given='' ddash=''
	while ((k < cword)); do
		w=${COMP_WORDS[k]}
		if [[ -n $ddash ]]; then
			given=1
		elif [[ $w == -- ]]; then
			ddash=1
		elif [[ $w == = ]]; then
			k=$((k + 1)) # the value of --opt=value
		elif [[ $w == -* ]]; then
			if [[ $w != *=* && $args == *" $w:"* && ${COMP_WORDS[k + 1]-} != = ]]; then
				k=$((k + 1))
			fi
		else
			given=1
		fi
		k=$((k + 1))
	done

	if [[ $cur == -* && -z $ddash ]]; then
		_encore_compgen -W "$opts" -- "$cur"
	elif [[ $pos != - && -z $given ]]; then
		_encore_positional "$cmd" "$pos" "$cur"
	elif [[ -z $cur && -z $ddash ]]; then
		_encore_compgen -W "$opts" -- "$cur"
	fi
	return 0
}

complete -F _encore encore
