"""Ember's C++ models from Python, as ember.nn Modules with the C++ (Hugging Face / PyTorch)
parameter names: GPT-2 and its decoding, BERT (loads Hugging Face checkpoints such as
all-MiniLM-L6-v2), the MNIST autoencoders and the seed's CNN."""
from .gpt import GPT, GPTConfig, KVCache, generate
from .bert import BertConfig, BertModel, mean_pooling
from .autoencoder import ConvAutoencoder, VAE, vae_loss, vae_kl_divergence
from .mnist_cnn import MnistCNN

__all__ = ["GPT", "GPTConfig", "KVCache", "generate", "BertConfig", "BertModel", "mean_pooling", "ConvAutoencoder",
           "VAE", "vae_loss", "vae_kl_divergence", "MnistCNN"]
