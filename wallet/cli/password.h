// wallet/cli/password.h: where the CLI gets passwords and secrets from.
//
// Password order: --password-file F (its first line), else the environment variable
// CIRCULEDGER_PASSWORD, else a prompt on the terminal with echo off (termios). When stdin is
// not a terminal and neither source is given, the answer is a clear error, never a hang.
// Callers wipe the returned strings (WipeString) once used. Not thread-safe (terminal state).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wallet/status.h"

namespace circuledger::wallet::cli {

// `confirm`: when prompting, ask twice and require the same answer (for new keys).
Result<std::string> ReadPassword(const std::optional<std::string>& password_file,
                                 std::string_view prompt, bool confirm);

// A secret key in hex from a file, or from stdin (prompted without echo on a terminal).
Result<std::string> ReadSecretHex(const std::optional<std::string>& file);

}  // namespace circuledger::wallet::cli
