"""The Streamlit app's building blocks: controls, state, figures and the helpers they share."""
