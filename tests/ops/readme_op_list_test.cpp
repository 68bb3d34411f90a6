// The README's op list (the table under "Ops (namespace `tg`, ...)") names exactly the ops
// of the op table (op_table.cpp): each op it lists has a row, each row's op is listed.
// An op in the list is a backticked name in its "ops" column, outside parentheses (those
// hold notes: headers, arguments, numpy's names); `atan2(y, x)` names atan2; `+ - * /`
// and unary `-` name the operators.

#include "op_table.hpp"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// The rows of the README's op table: from its header line to the first line that is
/// not a table row.
std::vector<std::string> op_list_rows(const std::string& readme) {
    std::istringstream in(readme);
    std::vector<std::string> rows;
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line.rfind("| group | ops | header |", 0) == 0) {
            inside = true;
            continue;
        }
        if (!inside) continue;
        if (line.rfind("|", 0) != 0) break;
        if (line.rfind("|---", 0) != 0) rows.push_back(line);
    }
    return rows;
}

/// The op names of one row's "ops" column.
std::vector<std::string> op_names(const std::string& row) {
    std::vector<std::string> cells;
    std::istringstream in(row);
    for (std::string cell; std::getline(in, cell, '|');) cells.push_back(cell);
    if (cells.size() < 3) return {};
    // The column without its parenthesized notes (parentheses inside backticks stay).
    std::string text;
    bool quoted = false;
    int depth = 0;
    for (char ch : cells[2]) {
        if (ch == '`' && depth == 0) quoted = !quoted;
        if (!quoted && ch == '(') ++depth;
        if (depth == 0) text += ch;
        if (!quoted && ch == ')' && depth > 0) --depth;
    }
    std::vector<std::string> names;
    std::istringstream spans(text);
    std::string span;
    for (bool inside = false; std::getline(spans, span, '`'); inside = !inside) {
        if (!inside || span.empty()) continue;
        const auto is_name_char = [](char ch) {
            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
        };
        std::size_t end = 0;
        while (end < span.size() && is_name_char(span[end])) ++end;
        const bool call = end < span.size() && span[end] == '(' && span.back() == ')';
        if (end > 0 && !std::isdigit(static_cast<unsigned char>(span[0])) &&
            (end == span.size() || call)) {
            names.push_back(span.substr(0, end));  // a name, or a call: `atan2(y, x)`
        } else if (span.find_first_not_of("+-*/ ") == std::string::npos) {
            std::istringstream tokens(span);  // operators: `+ - * /`
            for (std::string t; tokens >> t;) names.push_back(t);
        }
    }
    return names;
}

TEST(ReadmeOpList, NamesExactlyTheOpsOfTheTable) {
    const std::string path = std::string(TAPEGRAD_SOURCE_DIR) + "/README.md";
    std::ifstream file(path);
    ASSERT_TRUE(file) << "cannot read " << path;
    std::stringstream readme;
    readme << file.rdbuf();

    std::set<std::string> listed;
    for (const std::string& row : op_list_rows(readme.str()))
        for (const std::string& name : op_names(row)) listed.insert(name);
    std::set<std::string> in_table;
    for (const tg::test::OpInfo& op : tg::test::op_table()) in_table.insert(op.name);

    ASSERT_GT(listed.size(), 100u) << "the op list of " << path << " was not found or not read";
    for (const std::string& name : listed)
        EXPECT_EQ(in_table.count(name), 1u)
            << "README.md lists `" << name << "`, which has no row in tests/ops/op_table.cpp";
    for (const std::string& name : in_table)
        EXPECT_EQ(listed.count(name), 1u) << "tests/ops/op_table.cpp has a row for `" << name
                                          << "`, which README.md's op list does not name";
}

}  // namespace
