// What a hand-written training loop uses besides model(x, true): compile with the optimizer alone,
// the loss terms of the last call (Keras' model.losses), and apply_gradients, fit's optimizer step.
#include <stdexcept>

#include "nn/parameter_store.hpp"
#include "nn/sequential.hpp"

namespace smallnet {

void Sequential::compile(const Optimizer& optimizer) {
    auto& m = sequential_module();
    m.optimizer = optimizer.clone();
    m.loss.reset();
    m.custom_loss = nullptr;
    m.compile_options = {};
    m.metrics.clear();
}

const LossTerms& Sequential::losses() const { return sequential_module().call_losses; }

void Sequential::apply_gradients() {
    SequentialModule& m = sequential_module();
    if (!m.optimizer)
        throw std::logic_error("apply_gradients: the model has no optimizer; compile it first (model.compile(Adam()))");
    if (!built()) throw std::logic_error("apply_gradients: the model is not built, so it has no gradients; call it on a batch first");
    // The same buffers fit steps: one optimizer state for the model's weights, whichever loop trains.
    keep_adopted(m.store, parameters(), *m.optimizer);
    ParameterStore& store = *m.store;
    if (store.trainable_values().numel() == 0) return;  // everything frozen: nothing to train, as in fit
    bool any_gradient = false;
    for (const auto& p : store.parameters()) any_gradient = any_gradient || (p.trainable && p.variable->has_grad());
    if (!any_gradient)
        throw std::logic_error("apply_gradients: no weight of the model has a gradient; compute a loss from model(x, true) "
                               "and call loss.backward() before each apply_gradients");
    store.zero_missing_gradients();
    m.optimizer->step(store.trainable_values(), store.gradients());
    // The next backward writes the gradients afresh instead of adding to these (PyTorch's zero_grad).
    store.forget_gradients();
}

}  // namespace smallnet
