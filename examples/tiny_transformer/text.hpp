#pragma once
// The tiny transformer's training text: English-like sentences generated from a small
// grammar written for this example (so nothing is downloaded), and the character
// vocabulary that turns it into token ids.
//
// The grammar has subject-verb agreement ("the fox runs", "two foxes run"), optional
// adjectives and places, compound sentences and quoted speech, so a model must look
// back a few words to predict well; its characters are 'a'-'z', ' ', ',', '.', '"' and
// the newline between paragraphs.

#include <cstdint>
#include <string>
#include <vector>

namespace tiny_transformer {

/// About `chars` characters (whole paragraphs; at least `chars`) of text from the
/// grammar, drawn from tg::nn::Rng(seed): the same text on every machine.
std::string make_corpus(std::size_t chars, std::uint64_t seed);

/// The distinct characters of a text, sorted; a character's id is its position.
class Vocabulary {
public:
    /// The characters of `text`.
    explicit Vocabulary(const std::string& text);
    /// The ids of `text`'s characters; std::invalid_argument for a character not in the
    /// vocabulary.
    std::vector<std::size_t> encode(const std::string& text) const;
    /// The characters of `ids`.
    std::string decode(const std::vector<std::size_t>& ids) const;
    /// Number of characters.
    std::size_t size() const { return chars_.size(); }

private:
    std::string chars_;
    int id_[256];
};

/// The entropy −Σ p_c ln p_c (nats) of the character frequencies p_c of `ids` over
/// `vocab` ids: the loss of the best model that ignores context (the unigram baseline).
double unigram_entropy(const std::vector<std::size_t>& ids, std::size_t vocab);

}  // namespace tiny_transformer
