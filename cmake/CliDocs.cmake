# The man page and the bash completion, generated from the binary's own help
# text (so they cannot drift from it): cmake -DBIN=switchcost -DMAN=out.1
# -DCOMPLETION=out.bash -DVERSION=x.y.z -P CliDocs.cmake
#   commands: from the unknown-command message ("commands are run, ...");
#   each command's text: `switchcost COMMAND --help`;
#   each command's options: the option column of that text ("  -n [ --trials ]
#   arg", "  --json arg"), the long names only.
# The page carries the version, not a date: the same source gives the same bytes.

execute_process(COMMAND ${BIN} no-such-command RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE unknown)
string(REGEX MATCH "commands are ([a-z, -]+)" _ "${unknown}")
if(NOT CMAKE_MATCH_1)
  message(FATAL_ERROR "CliDocs: no command list in: ${unknown}")
endif()
string(REPLACE ", " ";" commands "${CMAKE_MATCH_1}")

execute_process(COMMAND ${BIN} help OUTPUT_VARIABLE usage RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "CliDocs: `${BIN} help` failed")
endif()
# Without the "builtin:" prefix (which `builtin --show` does not need): bash
# splits words at ':'.
execute_process(COMMAND ${BIN} builtin OUTPUT_VARIABLE builtins)
string(REPLACE "builtin:" "" builtins "${builtins}")
string(REPLACE "\n" " " builtins "${builtins}")
string(STRIP "${builtins}" builtins)

# Text as roff: backslashes escaped, a line starting with . or ' kept as text.
function(roff_text out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

roff_text(usage_roff "${usage}")
set(man ".TH SWITCHCOST 1 \"\" \"switchcost ${VERSION}\" \"User Commands\"\n")
string(APPEND man ".SH NAME\nswitchcost \\- what leaving a banned security vendor costs a managed service provider\n")
string(APPEND man ".SH SYNOPSIS\n.B switchcost\n.I command\n[\\fIoptions\\fR] [\\fIFILE\\fR...]\n")
string(APPEND man ".SH DESCRIPTION\n.nf\n${usage_roff}.fi\n.SH COMMANDS\n")

set(cases "")
foreach(command IN LISTS commands)
  execute_process(COMMAND ${BIN} ${command} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "CliDocs: `${BIN} ${command} --help` failed")
  endif()
  roff_text(help_roff "${help}")
  string(APPEND man ".SS ${command}\n.nf\n${help_roff}.fi\n")
  # The option column: the start of each line that begins with "  -".
  string(REGEX MATCHALL "\n  -[^\n]*" lines "\n${help}")
  set(options "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^\n  ([^ ]+( \\[ [^]]+ \\])?).*" "\\1" column "${line}")
    string(REGEX MATCHALL "--[a-z][a-z0-9-]*" names "${column}")
    list(APPEND options ${names})
  endforeach()
  list(REMOVE_DUPLICATES options)
  list(JOIN options " " options)
  string(APPEND cases "    ${command}) options=\"${options}\" ;;\n")
endforeach()
string(APPEND man ".SH FILES\nScenario files are YAML; the ones built into the binary are read as\n")
string(APPEND man ".BR builtin: NAME\n(\\fBswitchcost builtin\\fR lists them).\n")
string(APPEND man ".SH SEE ALSO\nThe scenario format and the outputs: docs/scenario-format.md and\ndocs/output-format.md in the source.\n")
file(WRITE ${MAN} "${man}")

list(JOIN commands " " command_words)
file(WRITE ${COMPLETION} "# bash completion for switchcost ${VERSION}, generated from its help text
# (cmake/CliDocs.cmake): commands, each command's options, built-in files
# after --show, the --msp-stats modes, the --sampling methods, files elsewhere.
_switchcost() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} options=\"\"
  if (( COMP_CWORD == 1 )); then
    COMPREPLY=( \$(compgen -W \"${command_words}\" -- \"\$cur\") )
    return
  fi
  case \${COMP_WORDS[1]} in
${cases}  esac
  case \$prev in
    --show) COMPREPLY=( \$(compgen -W \"${builtins}\" -- \"\$cur\") ); return ;;
    --msp-stats) COMPREPLY=( \$(compgen -W \"exact sketch auto\" -- \"\$cur\") ); return ;;
    --sampling) COMPREPLY=( \$(compgen -W \"mc lhs sobol\" -- \"\$cur\") ); return ;;
  esac
  if [[ \${COMP_WORDS[1]} == help ]] && (( COMP_CWORD == 2 )); then
    COMPREPLY=( \$(compgen -W \"${command_words}\" -- \"\$cur\") )
  elif [[ \$cur == -* ]]; then
    COMPREPLY=( \$(compgen -W \"\$options\" -- \"\$cur\") )
  else
    compopt -o filenames 2>/dev/null
    COMPREPLY=( \$(compgen -f -- \"\$cur\") )
  fi
}
complete -F _switchcost switchcost
")
