BaseModelOutputWithPast = CausalLMOutputWithPast = SequenceClassifierOutputWithPast = TokenClassifierOutput = dict
