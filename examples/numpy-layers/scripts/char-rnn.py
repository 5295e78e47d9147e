"""A character-level recurrent network trained on one short text, written as a training script is:
its parameters are module globals that `loss_fun` reads, and running the file trains them."""

import numpy as np

text = "gradients by hand, checked by differences"
chars = sorted(set(text))
vocab_size, hidden_size, seq_length = len(chars), 8, 6
char_to_ix = {ch: i for i, ch in enumerate(chars)}

rng = np.random.default_rng(0)
Wxh = 0.1 * rng.standard_normal((hidden_size, vocab_size))  # input to hidden
Whh = 0.1 * rng.standard_normal((hidden_size, hidden_size))  # hidden to hidden
Why = 0.1 * rng.standard_normal((vocab_size, hidden_size))  # hidden to output
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def loss_fun(inputs, targets, hprev):
    """The summed cross-entropy of predicting each next character, its gradients in the parameters
    by backpropagation through time, and the last hidden state."""
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    loss = 0.0
    for t, ix in enumerate(inputs):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][ix] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        scores = Why @ hs[t] + by
        ps[t] = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        loss -= float(np.log(ps[t][targets[t], 0]))
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dh_next = np.zeros_like(hprev)
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dh_next
        draw = (1 - hs[t] ** 2) * dh
        dbh += draw
        dWxh += draw @ xs[t].T
        dWhh += draw @ hs[t - 1].T
        dh_next = Whh.T @ draw
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def train(steps=200, learning_rate=0.1):
    """Adagrad on consecutive windows of the text; the parameters are updated in place."""
    memory = [np.zeros_like(p) for p in (Wxh, Whh, Why, bh, by)]
    hprev, position = np.zeros((hidden_size, 1)), 0
    for _ in range(steps):
        if position + seq_length + 1 > len(text):
            hprev, position = np.zeros((hidden_size, 1)), 0
        inputs = [char_to_ix[ch] for ch in text[position : position + seq_length]]
        targets = [char_to_ix[ch] for ch in text[position + 1 : position + seq_length + 1]]
        loss, *grads, hprev = loss_fun(inputs, targets, hprev)
        for param, grad, mem in zip((Wxh, Whh, Why, bh, by), grads, memory, strict=True):
            mem += grad * grad
            param -= learning_rate * grad / np.sqrt(mem + 1e-8)
        position += seq_length
    return loss


if __name__ == "__main__":
    print(f"loss after training: {train():.3f}")
