/// Sequence taggers (one label per token: NER, part of speech) and text classifiers (one label per
/// text: sentiment, topic) built on the recurrent layers, with their metrics and model files.
public enum Models {}
