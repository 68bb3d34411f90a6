#include "text.hpp"

#include <tapegrad/nn/random.hpp>

namespace gpt2 {
namespace {

struct Person {
    const char* name;
    const char* pronoun;  ///< "her" or "him"
};
const Person kPeople[] = {{"Ada", "her"}, {"Ben", "him"},  {"Cleo", "her"}, {"Dan", "him"},
                          {"Eva", "her"}, {"Finn", "him"}, {"Gita", "her"}, {"Hugo", "him"}};
const char* const kColours[] = {"red", "green", "yellow", "blue"};
const char* const kThings[] = {"apples", "pears", "stones", "books", "cups", "shells"};

template <class Item, std::size_t N>
const Item& pick(const Item (&items)[N], tg::nn::Rng& rng) {
    return items[tg::nn::uniform_index(rng, N)];
}

/// One story: a count, a gift or a loss, and the new count, which the model must add.
std::string story(tg::nn::Rng& rng) {
    const Person& a = pick(kPeople, rng);
    const Person* b = &pick(kPeople, rng);
    while (b == &a) b = &pick(kPeople, rng);
    const std::string things = std::string(pick(kColours, rng)) + " " + pick(kThings, rng);
    const std::size_t have = 2 + tg::nn::uniform_index(rng, 8);
    std::string s = std::string(a.name) + " has " + std::to_string(have) + " " + things + ". ";
    if (tg::nn::uniform01(rng) < 0.6) {
        const std::size_t more = 1 + tg::nn::uniform_index(rng, 5);
        s += std::string(b->name) + " gives " + a.pronoun + " " + std::to_string(more) +
             " more. Now " + a.name + " has " + std::to_string(have + more) + " " + things + ".";
    } else {
        const std::size_t gone = 1 + tg::nn::uniform_index(rng, have - 1);
        s += std::string(a.name) + " gives " + b->name + " " + std::to_string(gone) + ". Now " +
             a.name + " has " + std::to_string(have - gone) + " " + things + ".";
    }
    return s + "\n";
}

}  // namespace

std::string make_text(std::size_t chars, std::uint64_t seed) {
    tg::nn::Rng rng(seed);
    std::string text;
    while (text.size() < chars) text += story(rng);
    return text;
}

std::vector<std::size_t> encode(const std::string& text) {
    std::vector<std::size_t> ids;
    ids.reserve(text.size());
    for (unsigned char c : text) ids.push_back(c);
    return ids;
}

std::string decode(const std::vector<std::size_t>& ids) {
    std::string text;
    for (std::size_t id : ids)
        text += id < 256 ? std::string(1, char(id)) : "<" + std::to_string(id) + ">";
    return text;
}

}  // namespace gpt2
