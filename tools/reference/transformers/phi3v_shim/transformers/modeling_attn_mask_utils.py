def _prepare_4d_causal_attention_mask(*args, **kwargs):
    raise NotImplementedError("phi3v_fixtures.py builds the causal mask itself")
