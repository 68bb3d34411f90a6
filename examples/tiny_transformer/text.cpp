#include "text.hpp"

#include <tapegrad/nn/random.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tiny_transformer {
namespace {

/// A noun in the singular and the plural.
struct Noun {
    const char* one;
    const char* many;
};
/// A verb in the third person singular and the plural.
struct Verb {
    const char* one;
    const char* many;
};

const Noun kNouns[] = {{"cat", "cats"},   {"dog", "dogs"},       {"bird", "birds"},
                       {"fox", "foxes"},  {"child", "children"}, {"king", "kings"},
                       {"boat", "boats"}, {"farmer", "farmers"}, {"wolf", "wolves"},
                       {"mouse", "mice"}};
const char* const kNames[] = {"anna", "ben", "clara", "david", "emma", "felix"};
const char* const kAdjectives[] = {"small", "old", "red", "quiet", "happy", "dark", "brave"};
const Verb kTransitive[] = {{"sees", "see"},   {"likes", "like"},    {"follows", "follow"},
                            {"finds", "find"}, {"watches", "watch"}, {"helps", "help"}};
const Verb kIntransitive[] = {
    {"sleeps", "sleep"}, {"runs", "run"}, {"sings", "sing"}, {"waits", "wait"}};
const char* const kPlaces[] = {"by the river", "in the garden",  "under the tree",
                               "at night",     "in the morning", "near the house"};
const char* const kJoins[] = {", and ", ", but ", " because "};
const char* const kSpeech[] = {" said ", " asked ", " replied "};

template <class Item, std::size_t N>
const Item& pick(const Item (&items)[N], tg::nn::Rng& rng) {
    return items[tg::nn::uniform_index(rng, N)];
}

bool chance(tg::nn::Rng& rng, double p) { return tg::nn::uniform01(rng) < p; }

/// A noun phrase; `plural` says which verb form agrees with it.
std::string noun_phrase(tg::nn::Rng& rng, bool& plural) {
    if (chance(rng, 0.2)) {
        plural = false;
        return pick(kNames, rng);
    }
    plural = chance(rng, 0.4);
    const Noun& noun = pick(kNouns, rng);
    std::string np = plural ? (chance(rng, 0.5)   ? "the "
                               : chance(rng, 0.5) ? "two "
                                                  : "some ")
                            : (chance(rng, 0.6) ? "the " : "a ");
    if (chance(rng, 0.4)) np += std::string(pick(kAdjectives, rng)) + " ";
    return np + (plural ? noun.many : noun.one);
}

/// subject verb [object] [place], the verb agreeing with the subject.
std::string clause(tg::nn::Rng& rng) {
    bool plural = false;
    std::string s = noun_phrase(rng, plural) + " ";
    if (chance(rng, 0.6)) {
        const Verb& v = pick(kTransitive, rng);
        bool object_plural = false;
        s += std::string(plural ? v.many : v.one) + " " + noun_phrase(rng, object_plural);
    } else {
        const Verb& v = pick(kIntransitive, rng);
        s += plural ? v.many : v.one;
    }
    if (chance(rng, 0.3)) s += std::string(" ") + pick(kPlaces, rng);
    return s;
}

/// A clause, or two joined; sometimes quoted speech.
std::string sentence(tg::nn::Rng& rng) {
    std::string s = clause(rng);
    if (chance(rng, 0.3)) s += pick(kJoins, rng) + clause(rng);
    if (chance(rng, 0.2)) return "\"" + s + ",\"" + pick(kSpeech, rng) + pick(kNames, rng) + ".";
    return s + ".";
}

}  // namespace

std::string make_corpus(std::size_t chars, std::uint64_t seed) {
    tg::nn::Rng rng(seed);
    std::string text;
    while (text.size() < chars) {
        // A paragraph of 2 to 5 sentences.
        const std::size_t sentences = 2 + tg::nn::uniform_index(rng, 4);
        for (std::size_t i = 0; i < sentences; ++i) text += (i ? " " : "") + sentence(rng);
        text += "\n";
    }
    return text;
}

Vocabulary::Vocabulary(const std::string& text) {
    bool seen[256] = {};
    for (unsigned char c : text) seen[c] = true;
    std::fill(std::begin(id_), std::end(id_), -1);
    for (int c = 0; c < 256; ++c)
        if (seen[c]) {
            id_[c] = static_cast<int>(chars_.size());
            chars_ += static_cast<char>(c);
        }
}

std::vector<std::size_t> Vocabulary::encode(const std::string& text) const {
    std::vector<std::size_t> ids;
    ids.reserve(text.size());
    for (unsigned char c : text) {
        if (id_[c] < 0)
            throw std::invalid_argument(std::string("character '") + char(c) +
                                        "' is not in the vocabulary");
        ids.push_back(static_cast<std::size_t>(id_[c]));
    }
    return ids;
}

std::string Vocabulary::decode(const std::vector<std::size_t>& ids) const {
    std::string text;
    for (std::size_t id : ids) text += chars_.at(id);
    return text;
}

double unigram_entropy(const std::vector<std::size_t>& ids, std::size_t vocab) {
    std::vector<double> count(vocab, 0);
    for (std::size_t id : ids) ++count.at(id);
    double h = 0;
    for (double c : count)
        if (c > 0) {
            const double p = c / double(ids.size());
            h -= p * std::log(p);
        }
    return h;
}

}  // namespace tiny_transformer
