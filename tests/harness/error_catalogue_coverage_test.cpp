// Every message of README's error catalogue is asserted by a test: for each table row
// under "## Errors", each message it quotes (a `...` span with a space in it; the bare
// names in "(also `gradient`, `clear`)" are not messages) must share its text with a
// string literal of one of the test files the row's last column names ("lib/tape_errors"
// is tests/core/tape_errors_test.cpp, "nn/catalogue" tests/nn/error_catalogue_test.cpp).
//
// The README abridges messages: OP, S, A, B, PATH, ... and single letters stand for what
// the message fills in, "..." for the rest. So a message is split at those into its fixed
// pieces (of 8 characters or more), and a piece counts as asserted when a test literal of
// 10 characters or more holds 20 characters of it (all of it, if shorter), or lies wholly
// inside it ("different tape" asserts "... recorded by a different tape; call ...").

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = TAPEGRAD_SOURCE_DIR;

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// The string literals of C++ source `src`, adjacent ones joined ("a" "b" is "ab"), with
/// \" \' \\ and \n unescaped; comments skipped.
std::vector<std::string> string_literals(const std::string& src) {
    std::vector<std::string> out;
    std::string current;
    bool open = false;  // `current` holds literals not yet ended by other code
    for (std::size_t i = 0; i < src.size(); ++i) {
        const char c = src[i];
        if (c == '/' && i + 1 < src.size() && (src[i + 1] == '/' || src[i + 1] == '*')) {
            const bool line = src[i + 1] == '/';
            const std::size_t end = src.find(line ? "\n" : "*/", i + 2);
            i = end == std::string::npos ? src.size() : end + (line ? 0 : 1);
        } else if (c == '\'') {
            // A character literal ('"' among them): skip it.
            const std::size_t end = src.find('\'', i + (src[i + 1] == '\\' ? 3 : 2));
            i = end == std::string::npos ? src.size() : end;
        } else if (c == '"') {
            for (++i; i < src.size() && src[i] != '"'; ++i) {
                if (src[i] == '\\' && i + 1 < src.size()) {
                    const char e = src[++i];
                    if (e == 'n')
                        current += '\n';
                    else if (e == '"' || e == '\'' || e == '\\')
                        current += e;
                    else
                        current += std::string{'\\', e};
                } else {
                    current += src[i];
                }
            }
            open = true;
        } else if (!std::isspace(static_cast<unsigned char>(c)) && open) {
            out.push_back(current);
            current.clear();
            open = false;
        }
    }
    if (open) out.push_back(current);
    return out;
}

struct Row {
    std::string messages;  ///< the first column
    std::string tests;     ///< the last column
};

/// The table rows of README's "## Errors" section whose first column quotes a message.
std::vector<Row> catalogue_rows() {
    std::istringstream readme(read_file(kRoot / "README.md"));
    std::vector<Row> rows;
    std::string line;
    bool inside = false;
    while (std::getline(readme, line)) {
        if (line.rfind("## ", 0) == 0) inside = line.rfind("## Errors", 0) == 0;
        if (!inside || line.rfind("| `", 0) != 0) continue;
        const std::size_t first = line.find(" | "), last = line.rfind(" | ");
        rows.push_back({line.substr(2, first - 2), line.substr(last + 3, line.size() - last - 5)});
    }
    return rows;
}

std::string trim(const std::string& s, const char* chars) {
    const std::size_t b = s.find_first_not_of(chars);
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(chars) - b + 1);
}

/// The fixed pieces of an abridged message: split at "...", "…" and the placeholders.
std::vector<std::string> fixed_pieces(const std::string& message) {
    static const std::regex placeholder(
        R"(\.\.\.|…|\b(OP|S|A|B|PATH|NAME|E|M|D|R|P|REASON|LAYER|WHAT|[a-z])\b'?)");
    std::vector<std::string> pieces;
    for (std::sregex_token_iterator it(message.begin(), message.end(), placeholder, -1), end;
         it != end; ++it) {
        const std::string piece = trim(*it, " ;:,.");
        if (piece.size() >= 8) pieces.push_back(piece);
    }
    return pieces;
}

/// Whether a literal of `literals` (joined by '\1' in `joined`) asserts `piece`.
bool asserted(const std::string& piece, const std::vector<std::string>& literals,
              const std::string& joined) {
    const std::size_t k = std::min<std::size_t>(piece.size(), 20);
    for (std::size_t i = 0; i + k <= piece.size(); ++i)
        if (joined.find(piece.substr(i, k)) != std::string::npos) return true;
    for (const std::string& s : literals)
        if (s.size() >= 10 && s.size() < k && piece.find(s) != std::string::npos) return true;
    return false;
}

TEST(ErrorCatalogue, EveryMessageIsAssertedByATestTheRowNames) {
    const std::vector<Row> rows = catalogue_rows();
    ASSERT_GE(rows.size(), 50u) << "README's error catalogue was not found";
    std::size_t messages = 0;
    for (const Row& row : rows) {
        SCOPED_TRACE("README row: " + row.messages.substr(0, 80));
        std::vector<std::string> literals;
        std::stringstream tests(row.tests);
        std::string test;
        while (std::getline(tests, test, ',')) {
            test = trim(test, " ");
            const std::size_t slash = test.find('/');
            ASSERT_NE(slash, std::string::npos) << "test '" << test << "' is not FOLDER/NAME";
            std::string name = test.substr(slash + 1);
            if (name == "catalogue") name = "error_catalogue";
            const fs::path file = kRoot / "tests" / test.substr(0, slash) / (name + "_test.cpp");
            ASSERT_TRUE(fs::exists(file))
                << "the row names " << test << ", but " << file << " does not exist";
            for (std::string& s : string_literals(read_file(file)))
                literals.push_back(std::move(s));
            // A test judged by its output (the MPI fault jobs) keeps the regular
            // expressions it expects beside it; read without their escapes.
            const fs::path expected =
                kRoot / "tests" / test.substr(0, slash) / (name + "_expected.cmake");
            if (fs::exists(expected)) {
                // CMake's comments (# to the end of the line) hold apostrophes.
                const std::string script =
                    std::regex_replace(read_file(expected), std::regex("(^|\n)#[^\n]*"), "$1");
                for (const std::string& s : string_literals(script))
                    literals.push_back(std::regex_replace(s, std::regex(R"(\\(.))"), "$1"));
            }
        }
        std::string joined;
        for (const std::string& s : literals) joined += s + '\1';
        static const std::regex quoted("`([^`]+)`");
        for (std::sregex_iterator it(row.messages.begin(), row.messages.end(), quoted), end;
             it != end; ++it) {
            const std::string message = (*it)[1];
            if (message.find(' ') == std::string::npos) continue;  // a name, not a message
            const std::vector<std::string> pieces = fixed_pieces(message);
            if (pieces.empty()) continue;
            ++messages;
            const bool any = std::any_of(pieces.begin(), pieces.end(), [&](const std::string& p) {
                return asserted(p, literals, joined);
            });
            EXPECT_TRUE(any) << "README's error catalogue promises `" << message
                             << "`, but no test the row names (" << row.tests
                             << ") asserts its text: assert the message (not only the "
                                "exception's type) there, or name the test that does";
        }
    }
    EXPECT_GE(messages, 150u);
}

}  // namespace
