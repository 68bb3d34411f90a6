#include "train.hpp"

#include <vector>

namespace gpt2 {

namespace optim = tg::optim;

namespace {
optim::AdamWOptions adamw(const TrainSettings& s) {
    optim::AdamWOptions a;
    a.weight_decay = s.weight_decay;
    return a;
}
}  // namespace

template <class T>
Trainer<T>::Trainer(GPT2<T>& model, const TrainSettings& s)
    : optimizer(model.parameters(), T(s.lr), adamw(s)), clip(s.clip) {
    std::vector<std::unique_ptr<optim::LRScheduler<T>>> phases;
    phases.push_back(std::make_unique<optim::LinearLR<T>>(optimizer, 0.01, 1.0, s.warmup));
    phases.push_back(
        std::make_unique<optim::CosineAnnealingLR<T>>(optimizer, s.steps - s.warmup, s.min_lr));
    schedule = std::make_unique<optim::SequentialLR<T>>(optimizer, std::move(phases),
                                                        std::vector<std::int64_t>{s.warmup});
}

template <class T>
double Trainer<T>::step(GPT2<T>& model, const examples::Tokens& x, const examples::Tokens& y) {
    const tg::Tensor<T> loss = examples::next_token_loss(model(x), y);
    loss.backward();
    tg::nn::clip_grad_norm_(model.parameters(), clip);
    optimizer.step();
    schedule->step();
    optimizer.zero_grad();
    return double(loss.item());
}

template struct Trainer<float>;
template struct Trainer<double>;

}  // namespace gpt2
