"""Korean NLU pieces: Kiwi tokenizer, number entity extractor, PII masking."""
