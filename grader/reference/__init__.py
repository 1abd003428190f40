"""Reference implementations of everything the course grades.

One module per topic of the lecture:

- `losses`: losses derived from maximum likelihood (MSE, BCE, softmax CE).
- `regularization`: L2 / L1 penalties over named weights, biases excluded.
- `optimizers`: GD, Momentum, NAG, Adagrad, Adadelta, RMSprop, Adam.
- `sparse_autoencoder`: the UFLDL sparse autoencoder's cost and gradient.
- `softmax_regression`: softmax classifier with weight decay.
- `stacked_autoencoder`: greedy pretraining, fine-tuning, prediction.
- `training`: L-BFGS and mini-batch training bound to the reference optimizers.

All arrays are float64 NumPy arrays with samples in rows: ``X`` has shape
``(m, n)`` for m samples of n features.
"""
