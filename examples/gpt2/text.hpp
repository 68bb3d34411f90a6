#pragma once
// The GPT-2 example's training text, generated (nothing is downloaded): short stories of
// counting, written by a small grammar so that a model must carry names and numbers
// across a sentence to predict well:
//
//     Ada has 3 red apples. Ben gives her 2 more. Now Ada has 5 red apples.
//
// The model reads it byte by byte (vocabulary 256, a token is a byte, as GPT-2's byte
// fallback), so encoding and decoding are the identity on bytes.

#include <cstdint>
#include <string>
#include <vector>

namespace gpt2 {

/// At least `chars` bytes of stories (whole lines), drawn from tg::nn::Rng(seed): the same
/// text on every machine.
std::string make_text(std::size_t chars, std::uint64_t seed);

/// The bytes of `text` as token ids 0-255.
std::vector<std::size_t> encode(const std::string& text);

/// Token ids as text: ids 0-255 are bytes; any other id (a model of a larger vocabulary
/// loaded from a file) is written "<id>".
std::string decode(const std::vector<std::size_t>& ids);

}  // namespace gpt2
