"""The scenario authors' studio: review real conversations, fix the NLU data from them,
retrain and evaluate in the background, and swap the model live (README "For scenario authors")."""
