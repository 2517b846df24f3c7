"""Ember's C++ models from Python, as ember.nn Modules with the C++ (Hugging Face / PyTorch)
parameter names: GPT-2 and its decoding, BERT and its sequence classifier, Hugging Face folders
(from_pretrained / save_pretrained, e.g. all-MiniLM-L6-v2), the MNIST autoencoders and the seed's CNN."""
from .gpt import GPT, GPT2Model, GPTConfig, KVCache, generate
from .bert import BertConfig, BertForSequenceClassification, BertModel, SequenceClassifierOutput, mean_pooling
from .pretrained import LoadReport, from_pretrained, save_pretrained
from .sentence import SentenceTransformer
from .autoencoder import ConvAutoencoder, VAE, vae_loss, vae_kl_divergence
from .mnist_cnn import MnistCNN

__all__ = ["GPT", "GPT2Model", "GPTConfig", "KVCache", "generate", "BertConfig", "BertModel",
           "BertForSequenceClassification", "SequenceClassifierOutput", "mean_pooling", "LoadReport", "from_pretrained",
           "save_pretrained", "SentenceTransformer", "ConvAutoencoder",
           "VAE", "vae_loss", "vae_kl_divergence", "MnistCNN"]
