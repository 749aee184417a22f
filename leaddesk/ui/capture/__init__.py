"""Capture screens: the card capture window (images by dialog, drag and drop or paste; a
queue read in a worker; the review form beside the image with each field's confidence;
duplicates offered before saving) and the vCard import and export actions."""
